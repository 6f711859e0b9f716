package io.fortress.db.internal.backup;

import io.fortress.db.backup.ArchiveState;
import io.fortress.db.backup.BaseBackupInfo;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Micrometer meters of point-in-time recovery (tag {@code database}), exported to Prometheus as:
 * <ul>
 *   <li>{@code fortress_pitr_last_archived_age_seconds}: how long ago the last WAL file reached the archive, the live
 *       recovery point objective; NaN when the primary cannot be asked or nothing was archived yet</li>
 *   <li>{@code fortress_pitr_archive_failures_total}: failed archive attempts ({@code pg_stat_archiver.failed_count})</li>
 *   <li>{@code fortress_pitr_archive_failing}: 1 while the newest archive attempt failed</li>
 *   <li>{@code fortress_pitr_unarchived_bytes}: WAL written since the end of the last archived segment, what losing the
 *       primary now would lose</li>
 *   <li>{@code fortress_pitr_last_base_backup_timestamp_seconds} and {@code fortress_pitr_last_base_backup_size_bytes}: when
 *       the newest base backup became consistent and its size; NaN while there is none</li>
 *   <li>{@code fortress_pitr_last_drill_success} (1 passed, 0 failed), {@code fortress_pitr_last_drill_timestamp_seconds}
 *       and {@code fortress_pitr_last_drill_restore_seconds} (the recovery time it measured): the last restore drill this
 *       process ran; NaN before the first</li>
 * </ul>
 * A scrape reads the archiver at most every 10 seconds (shared with the status page, {@link RecentArchiveState}) and the repository at most every
 * {@link #REPOSITORY_EVERY} (a pgbackrest run), so that a scrape stays cheap; the age keeps growing between reads.
 */
public final class PitrMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(PitrMetrics.class);
    static final Duration REPOSITORY_EVERY = Duration.ofMinutes(5);

    private final PitrCommand command;
    private final Clock clock;
    private Instant repositoryReadAt; // guarded by this

    private PitrMetrics(PitrCommand command, Clock clock) {
        this.command = command;
        this.clock = clock;
    }

    /** Registers the meters; the returned object holds their state and must be kept by the manager (Micrometer holds it weakly). */
    public static PitrMetrics bind(MeterRegistry registry, String database, PitrCommand command, Clock clock) {
        PitrMetrics m = new PitrMetrics(command, clock);
        Tags tags = Tags.of("database", database);
        Gauge.builder("fortress.pitr.last.archived.age", m, PitrMetrics::archivedAgeSeconds).tags(tags).baseUnit("seconds")
                .description("How long ago the last WAL file reached the point-in-time recovery archive (NaN when unknown)").register(registry);
        FunctionCounter.builder("fortress.pitr.archive.failures", m, x -> x.archiver().map(ArchiveState::failedCount).orElse(0L))
                .tags(tags).description("Failed WAL archive attempts").register(registry);
        Gauge.builder("fortress.pitr.unarchived", m, x -> x.archiver().map(a -> (double) a.unarchivedBytes()).orElse(Double.NaN))
                .tags(tags).baseUnit("bytes").description("WAL written since the end of the last archived segment (NaN when unknown)")
                .register(registry);
        Gauge.builder("fortress.pitr.archive.failing", m, x -> x.archiver().map(a -> a.failing() ? 1 : 0).orElse(0))
                .tags(tags).description("1 while the newest WAL archive attempt failed").register(registry);
        Gauge.builder("fortress.pitr.last.base.backup.timestamp", m,
                        x -> x.newestBase().map(b -> b.stopped().toEpochMilli() / 1000.0).orElse(Double.NaN))
                .tags(tags).baseUnit("seconds").description("When the newest base backup became consistent (Unix time; NaN while there is none)")
                .register(registry);
        Gauge.builder("fortress.pitr.last.base.backup.size", m, x -> x.newestBase().map(b -> (double) b.size()).orElse(Double.NaN))
                .tags(tags).baseUnit("bytes").description("Size of the cluster the newest base backup copied").register(registry);
        Gauge.builder("fortress.pitr.last.drill.success", command, c -> c.lastDrill().map(d -> d.passed() ? 1.0 : 0.0).orElse(Double.NaN))
                .tags(tags).description("1 when the last restore drill passed, 0 when it failed (NaN before the first)").register(registry);
        Gauge.builder("fortress.pitr.last.drill.timestamp", command,
                        c -> c.lastDrill().map(d -> d.started().toEpochMilli() / 1000.0).orElse(Double.NaN))
                .tags(tags).baseUnit("seconds").description("When the last restore drill began (Unix time; NaN before the first)")
                .register(registry);
        Gauge.builder("fortress.pitr.last.drill.restore", command,
                        c -> c.lastDrill().map(d -> d.restoreTime().toMillis() / 1000.0).orElse(Double.NaN))
                .tags(tags).baseUnit("seconds").description("How long the last restore drill took to restore and start the server: "
                        + "the recovery time it measured").register(registry);
        return m;
    }

    private double archivedAgeSeconds() {
        return archiver().flatMap(ArchiveState::lastArchivedAge).map(age -> age.toMillis() / 1000.0).orElse(Double.NaN);
    }

    private Optional<ArchiveState> archiver() {
        try {
            return Optional.of(command.recentArchiveState());
        } catch (RuntimeException e) {
            LOG.debug("cannot read the WAL archiver for the meters: {}", e.getMessage());
            return Optional.empty();
        }
    }

    private synchronized Optional<BaseBackupInfo> newestBase() {
        Instant now = clock.instant();
        if (repositoryReadAt == null || Duration.between(repositoryReadAt, now).compareTo(REPOSITORY_EVERY) >= 0) {
            repositoryReadAt = now;
            try {
                command.list();
            } catch (RuntimeException e) {
                LOG.debug("cannot list the base backups for the meters: {}", e.getMessage());
            }
        }
        return command.newestKnown();
    }
}
