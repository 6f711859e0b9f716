package io.fortress.db.internal.backup;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Micrometer meters of a manager's backup runs, read from its {@link BackupCounters} (tag
 * {@code database}). Exported to Prometheus as:
 * <ul>
 *   <li>{@code fortress_backup_last_success_timestamp_seconds}: when the last successful backup finished (this manager's, or else
 *       the newest good one in the folder at start); NaN while there is none, so that "older than" comparisons stay false</li>
 *   <li>{@code fortress_backup_none_since_timestamp_seconds}: while there is no good backup, since when (the manager's start);
 *       NaN once there is one</li>
 *   <li>{@code fortress_backup_last_duration_seconds}: how long it took</li>
 *   <li>{@code fortress_backup_last_size_bytes}: its size</li>
 *   <li>{@code fortress_backup_runs_total{result=success|failure}}: runs since start</li>
 *   <li>{@code fortress_backup_running}: 1 while a backup runs</li>
 *   <li>{@code fortress_backup_verifications_total{result=passed|failed}}: verifications, after backups and on request</li>
 *   <li>with BACKUP_REMOTE: {@code fortress_backup_remote_pending} (good local backups not yet copied),
 *       {@code fortress_backup_remote_upload_bytes_total} (stored bytes sent),
 *       {@code fortress_backup_remote_upload_failures_total} (upload runs that stopped short) and
 *       {@code fortress_backup_remote_last_upload_duration_seconds} and
 *       {@code fortress_backup_remote_unreadable} (copies whose manifest failed to decrypt, authenticate or parse at the last listing)</li>
 * </ul>
 */
public final class BackupMetrics {
    private BackupMetrics() {
    }

    /**
     * Binds the meters to the manager's counters and upload command, which the manager holds: Micrometer
     * holds its state objects weakly, and a lambda held by nothing else would be collected, leaving the meters at NaN.
     */
    public static void bind(MeterRegistry registry, String database, BackupCounters counters, UploadCommand upload, boolean remote) {
        Tags tags = Tags.of("database", database);
        Gauge.builder("fortress.backup.last.success.timestamp", counters,
                        s -> s.stats().lastSuccessAt().map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN))
                .tags(tags).baseUnit("seconds").description("When the last successful backup finished (Unix time; NaN while there is none)")
                .register(registry);
        Gauge.builder("fortress.backup.none.since.timestamp", counters,
                        s -> s.noBackupSince().map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN))
                .tags(tags).baseUnit("seconds").description("While there is no good backup: since when fortress has waited for the first "
                        + "(Unix time; NaN once there is one)").register(registry);
        Gauge.builder("fortress.backup.last.duration", counters,
                        s -> s.stats().lastDuration().map(d -> d.toMillis() / 1000.0).orElse(0.0))
                .tags(tags).baseUnit("seconds").description("Duration of the last successful backup").register(registry);
        Gauge.builder("fortress.backup.last.size", counters, s -> s.stats().lastSizeBytes())
                .tags(tags).baseUnit("bytes").description("Size of the last successful backup").register(registry);
        FunctionCounter.builder("fortress.backup.runs", counters, s -> s.stats().successes())
                .tags(tags.and("result", "success")).description("Backup runs").register(registry);
        FunctionCounter.builder("fortress.backup.runs", counters, s -> s.stats().failures())
                .tags(tags.and("result", "failure")).description("Backup runs").register(registry);
        Gauge.builder("fortress.backup.running", counters, s -> s.stats().running().isPresent() ? 1 : 0)
                .tags(tags).description("1 while a backup runs").register(registry);
        FunctionCounter.builder("fortress.backup.verifications", counters, m -> m.verifications(true))
                .tags(tags.and("result", "passed")).description("Backup verifications").register(registry);
        FunctionCounter.builder("fortress.backup.verifications", counters, m -> m.verifications(false))
                .tags(tags.and("result", "failed")).description("Backup verifications").register(registry);
        if (remote) {
            Gauge.builder("fortress.backup.remote.pending", upload, u -> u.pending().size())
                    .tags(tags).description("Good local backups not yet copied to the remote repository").register(registry);
            FunctionCounter.builder("fortress.backup.remote.upload", counters, m -> m.uploads().bytes())
                    .tags(tags).baseUnit("bytes").description("Bytes stored in the remote repository").register(registry);
            FunctionCounter.builder("fortress.backup.remote.upload.failures", counters, m -> m.uploads().failures())
                    .tags(tags).description("Upload runs that stopped before every pending backup was copied").register(registry);
            Gauge.builder("fortress.backup.remote.last.upload.duration", counters, m -> m.uploads().lastDurationSeconds())
                    .tags(tags).baseUnit("seconds").description("Duration of the last complete upload run").register(registry);
            Gauge.builder("fortress.backup.remote.unreadable", counters, m -> m.remoteUnreadable() < 0 ? Double.NaN : m.remoteUnreadable())
                    .tags(tags).description("Remote copies whose manifest could not be decrypted, authenticated or parsed at the last "
                            + "listing (NaN until the first)").register(registry);
        }
    }
}
