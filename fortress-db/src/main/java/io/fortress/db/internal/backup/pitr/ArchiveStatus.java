package io.fortress.db.internal.backup.pitr;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How WAL archiving of the primary is going, from {@code pg_stat_archiver}.
 *
 * @param archivedCount    segments archived since the statistics were reset
 * @param lastArchivedWal  the last file archived (a segment, history or backup-label file), when any
 * @param lastArchivedTime when it was archived
 * @param failedCount      failed archive attempts: more than before means archive_command is failing now
 * @param lastFailedWal    the last file whose archiving failed, when any
 * @param lastFailedTime   when it failed
 * @param currentWal       the segment the primary writes now
 * @param unarchivedBytes  WAL written since the end of the last archived segment: what a loss of the server would lose
 * @param observed         when this was read (the server's clock)
 */
public record ArchiveStatus(long archivedCount, Optional<String> lastArchivedWal, Optional<Instant> lastArchivedTime, long failedCount,
                            Optional<String> lastFailedWal, Optional<Instant> lastFailedTime, String currentWal, long unarchivedBytes,
                            Instant observed) {
    /**
     * The live recovery point objective: how long ago the last file reached the archive. It grows while
     * WAL is written and nothing is archived; on an idle server it grows too, until {@code archive_timeout}
     * forces a segment out.
     */
    public Optional<Duration> lastArchivedAge() {
        return lastArchivedTime.map(t -> t.isAfter(observed) ? Duration.ZERO : Duration.between(t, observed));
    }

    /** True when the newest archive attempt failed (a failure later than the last success). */
    public boolean failing() {
        return lastFailedTime.isPresent() && (lastArchivedTime.isEmpty() || lastFailedTime.get().isAfter(lastArchivedTime.get()));
    }
}
