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

    static BackupStats initial() {
        return new BackupStats(Optional.empty(), Optional.empty(), Optional.empty(), 0, Optional.empty(), Optional.empty(), 0, 0,
                Optional.empty());
    }

    /** Stats of a new manager whose folder already holds a good backup: its last success is that backup's, no run counted yet. */
    static BackupStats startingFrom(BackupInfo newestGood) {
        BackupManifest m = newestGood.manifest();
        Instant finished = m.finishedAt() == null ? newestGood.createdAt() : Instant.parse(m.finishedAt());
        return new BackupStats(Optional.of(finished), Optional.of(newestGood.id()), Optional.of(Duration.ofMillis(Math.max(0, m.durationMs()))),
                newestGood.sizeBytes(), Optional.empty(), Optional.empty(), 0, 0, Optional.empty());
    }

    BackupStats succeeded(Instant at, String id, Duration duration, long size) {
        return new BackupStats(Optional.of(at), Optional.of(id), Optional.of(duration), size, lastFailureAt, lastFailure,
                successes + 1, failures, Optional.empty());
    }

    BackupStats failed(Instant at, String reason) {
        return new BackupStats(lastSuccessAt, lastSuccessId, lastDuration, lastSizeBytes, Optional.of(at), Optional.of(reason),
                successes, failures + 1, Optional.empty());
    }

    BackupStats progressing(BackupProgress progress) {
        return new BackupStats(lastSuccessAt, lastSuccessId, lastDuration, lastSizeBytes, lastFailureAt, lastFailure,
                successes, failures, Optional.of(progress));
    }
}
