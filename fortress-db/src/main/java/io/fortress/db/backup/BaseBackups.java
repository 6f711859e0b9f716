package io.fortress.db.backup;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the point-in-time recovery repository holds, and the restorable window it gives: from the end of
 * the oldest base backup to the newest archived WAL.
 *
 * @param stanza           the cluster's name in the repository
 * @param backups          the base backups, oldest first
 * @param restorableFrom   the earliest moment a restore can reach (the oldest backup's end); empty without a backup
 * @param restorableToLsn  the WAL position a restore can replay up to (the end of the newest archived segment)
 * @param lastArchived     when the newest WAL file reached the archive, as the primary reports it; empty when unknown
 */
public record BaseBackups(String stanza, List<BaseBackupInfo> backups, Optional<Instant> restorableFrom,
                          Optional<String> restorableToLsn, Optional<Instant> lastArchived) {
    /** Copies the list. */
    public BaseBackups {
        backups = List.copyOf(backups);
    }

    /** The newest base backup, when any. */
    public Optional<BaseBackupInfo> newest() {
        return backups.isEmpty() ? Optional.empty() : Optional.of(backups.get(backups.size() - 1));
    }
}
