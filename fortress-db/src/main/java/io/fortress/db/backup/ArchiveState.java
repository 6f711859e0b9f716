package io.fortress.db.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How WAL archiving of the primary is going ({@code pg_stat_archiver}).
 *
 * @param archivedCount    files archived since the statistics were reset
 * @param lastArchivedWal  the last file archived, when any
 * @param lastArchivedTime when it was archived
 * @param lastArchivedAge  how long ago that was: the live recovery point objective (it also grows on an idle server
 *                         until archive_timeout forces a segment out)
 * @param failedCount      failed archive attempts since the statistics were reset
 * @param lastFailedWal    the last file whose archiving failed, when any
 * @param failing          whether the newest attempt failed (a failure later than the last success)
 * @param unarchivedBytes  WAL written since the end of the last archived segment: what losing the server now would lose
 */
public record ArchiveState(long archivedCount, Optional<String> lastArchivedWal, Optional<Instant> lastArchivedTime,
                           Optional<Duration> lastArchivedAge, long failedCount, Optional<String> lastFailedWal, boolean failing,
                           long unarchivedBytes) {
}
