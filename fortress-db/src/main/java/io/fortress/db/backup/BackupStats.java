package io.fortress.db.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Outcomes of this manager's backup runs, for health checks and metrics.
 *
 * @param lastSuccessAt   when the last successful backup finished: one taken by this manager, or else the newest good backup
 *                        (not corrupt) the backup folder held when the manager was made; empty while there is none
 * @param lastSuccessId   its id
 * @param lastDuration    how long the last successful backup took
 * @param lastSizeBytes   its size
 * @param lastFailureAt   when the last failed run ended
 * @param lastFailure     why it failed
 * @param successes       successful runs since the manager was made
 * @param failures        failed runs since the manager was made
 * @param running         progress of the backup in progress, if any (verifications and restores report only to their listener)
 */
public record BackupStats(Optional<Instant> lastSuccessAt, Optional<String> lastSuccessId, Optional<Duration> lastDuration,
                          long lastSizeBytes, Optional<Instant> lastFailureAt, Optional<String> lastFailure,
                          long successes, long failures, Optional<BackupProgress> running) {
}
