package io.fortress.db.internal.backup.pitr;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What a stanza's repositories hold: its base backups (oldest first) and the range of archived WAL.
 * Together they give the restorable window: from the end of the oldest backup to the end of the newest
 * archived WAL segment.
 *
 * @param stanza        the stanza
 * @param statusCode    pgBackRest's status (0 ok, 1 missing stanza path, 2 no valid backups, ...)
 * @param statusMessage its words for it
 * @param backups       the base backups, oldest first
 * @param oldestWal     the oldest archived WAL segment, when any
 * @param newestWal     the newest archived WAL segment, when any
 */
public record BackupInventory(String stanza, int statusCode, String statusMessage, List<BaseBackup> backups,
                              Optional<String> oldestWal, Optional<String> newestWal) {
    /** Copies the list. */
    public BackupInventory {
        backups = backups.stream().sorted(Comparator.comparing(BaseBackup::stopped)).toList();
    }

    /** The newest base backup, when any. */
    public Optional<BaseBackup> newest() {
        return backups.isEmpty() ? Optional.empty() : Optional.of(backups.get(backups.size() - 1));
    }

    /** The earliest moment a restore can reach: the end of the oldest base backup. */
    public Optional<Instant> restorableFrom() {
        return backups.isEmpty() ? Optional.empty() : Optional.of(backups.get(0).stopped());
    }

    /**
     * The WAL position up to which a restore can replay: the end of the newest archived segment
     * ({@code 16 MiB} segments, the default), or the end of the newest backup when it is further.
     */
    public Optional<String> restorableUpToLsn() {
        Optional<Long> archived = newestWal.flatMap(WalSegment::endLsn);
        Optional<Long> backedUp = newest().map(b -> io.fortress.db.internal.Lsn.parse(b.lsnStop()));
        return archived.or(() -> backedUp)
                .map(a -> backedUp.map(b -> Long.compareUnsigned(a, b) >= 0 ? a : b).orElse(a))
                .map(io.fortress.db.internal.Lsn::format);
    }
}
