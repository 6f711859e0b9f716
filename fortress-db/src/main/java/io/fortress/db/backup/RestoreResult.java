package io.fortress.db.backup;

import java.time.Duration;
import java.util.List;

/**
 * What a restore did.
 *
 * @param backup          the backup restored
 * @param targetDatabase  the database restored into
 * @param createdDatabase true when the restore created the target database
 * @param inPlace         true when objects of a database that had some were replaced (force)
 * @param entries         archive entries restored (all of them, or the chosen schemas' and tables')
 * @param leftOut         entries that belong with the chosen tables but were not restored, and why
 * @param globalsRestored true when roles and tablespaces were restored too
 * @param duration        how long it took
 */
public record RestoreResult(BackupInfo backup, String targetDatabase, boolean createdDatabase, boolean inPlace, int entries,
                            List<String> leftOut, boolean globalsRestored, Duration duration) {
}
