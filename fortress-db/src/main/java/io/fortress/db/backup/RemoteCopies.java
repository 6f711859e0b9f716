package io.fortress.db.backup;

import java.util.List;

/**
 * The copies of a database in the remote repository: those whose manifest reads and authenticates,
 * newest first, and those whose manifest does not. An unreadable manifest is never skipped in
 * silence: someone who can write to the bucket could otherwise hide the newest copies and roll the
 * repository back unseen.
 *
 * @param readable   copies with a good manifest, newest first
 * @param unreadable copies whose manifest failed to decrypt, authenticate or parse, by id
 */
public record RemoteCopies(List<BackupInfo> readable, List<Unreadable> unreadable) {

    /** A copy whose manifest cannot be read, and why (never with key material). */
    public record Unreadable(String id, String reason) {
    }
}
