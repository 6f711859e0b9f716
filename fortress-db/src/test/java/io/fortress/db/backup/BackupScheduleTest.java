package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.DbConfigException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Scheduled backups run one at a time, skip while another backup runs, and feed stats, progress and meters. */
class BackupScheduleTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);

    @TempDir
    Path tmp;

    @Test
    void runsEveryIntervalNeverTwoAtOnceAndRecordsOutcomes() throws Exception {
        BackupTesting.sql(CLUSTER.cluster(), CLUSTER.cluster().database(), "CREATE TABLE t AS SELECT g FROM generate_series(1, 100) g",
                "CREATE TABLE blocker (id int)");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.primaryOnly(CLUSTER.cluster()).build())) {
            Path dir = BackupTesting.folder(tmp, "scheduled");
            BackupManager m = BackupManager.builder(db, BackupConfig.builder().backupDir(dir).lockWaitTimeout(Duration.ZERO).build())
                    .meterRegistry(registry).build();
            List<BackupProgress> seen = Collections.synchronizedList(new ArrayList<>());
            BackupInfo manual;
            try (BackupSchedule schedule = BackupSchedule.every(m, Duration.ofSeconds(1))) {
                // A manual backup held by a table lock: scheduled runs meanwhile are skipped, not stacked.
                try (Connection lock = CLUSTER.cluster().primary().connect()) {
                    lock.setAutoCommit(false);
                    try (Statement s = lock.createStatement()) {
                        s.execute("LOCK TABLE blocker IN ACCESS EXCLUSIVE MODE");
                    }
                    var running = java.util.concurrent.CompletableFuture.supplyAsync(() -> m.backup(seen::add));
                    await().atMost(Duration.ofSeconds(20)).until(() -> m.stats().running().map(p -> p.phase() == BackupPhase.DUMPING).orElse(false));
                    schedule.start(Duration.ZERO);
                    await().atMost(Duration.ofSeconds(20)).until(() -> schedule.skipped() >= 2);
                    assertThat(registry.get("fortress.backup.running").gauge().value()).isEqualTo(1.0);
                    lock.commit();
                    manual = running.get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> m.listBackups().size() >= 3);
            }
            assertThat(seen).extracting(BackupProgress::phase).contains(BackupPhase.PREPARING, BackupPhase.DUMPING, BackupPhase.PUBLISHING,
                    BackupPhase.VERIFYING, BackupPhase.DONE);
            assertThat(seen).anySatisfy(p -> assertThat(p.tablesDone()).isEqualTo(2));
            assertThat(m.listBackups()).extracting(BackupInfo::id).contains(manual.id());
            BackupStats stats = m.stats();
            assertThat(stats.failures()).isZero();
            assertThat(stats.successes()).isGreaterThanOrEqualTo(3);
            assertThat(stats.lastSizeBytes()).isPositive();
            assertThat(registry.get("fortress.backup.last.success.timestamp").gauge().value()).isPositive();
            assertThat(registry.get("fortress.backup.runs").tag("result", "success").functionCounter().count()).isEqualTo(stats.successes());
            assertThat(registry.get("fortress.backup.running").gauge().value()).isZero();
            // the public constructor accepts what FORTRESS_BACKUP_INTERVAL accepts, no less
            assertThatThrownBy(() -> new BackupSchedule(m, Duration.ofSeconds(59))).isInstanceOf(DbConfigException.class)
                    .hasMessageContaining("interval = 59s is invalid: expected a duration of at least 1m")
                    .hasMessageContaining("FORTRESS_BACKUP_INTERVAL");
            new BackupSchedule(m, Duration.ofMinutes(1)).close();
        }
    }
    @Test
    void theFirstRunIsAtOnceWithoutAGoodBackupAndOneIntervalAfterTheNewestOtherwise() throws Exception {
        try (Database db = Database.open(TestDatabases.primaryOnly(CLUSTER.cluster()).build())) {
            Path dir = BackupTesting.folder(tmp, "due");
            SimpleMeterRegistry fresh = new SimpleMeterRegistry();
            BackupManager empty = BackupManager.builder(db, BackupConfig.builder().backupDir(dir).build()).meterRegistry(fresh).build();
            assertThat(new BackupSchedule(empty, Duration.ofHours(24)).firstDelay()).as("no backup: the first at once").isZero();
            assertThat(empty.noBackupSince()).isPresent();
            assertThat(fresh.get("fortress.backup.last.success.timestamp").gauge().value()).as("no backup, no time: NaN, not 0").isNaN();
            assertThat(fresh.get("fortress.backup.none.since.timestamp").gauge().value())
                    .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(600.0));

            // a good backup taken (by the clock) two hours ago; a new manager (serve restarted) starts from it
            BackupInfo earlier = BackupManager.builder(db, BackupConfig.builder().backupDir(dir).build())
                    .clock(java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofHours(-2))).build().backup();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            BackupManager restarted = BackupManager.builder(db, BackupConfig.builder().backupDir(dir).build()).meterRegistry(registry).build();
            assertThat(restarted.stats().lastSuccessId()).contains(earlier.id());
            assertThat(restarted.stats().successes()).as("runs are this manager's own").isZero();
            assertThat(restarted.noBackupSince()).isEmpty();
            assertThat(registry.get("fortress.backup.last.success.timestamp").gauge().value())
                    .isCloseTo(System.currentTimeMillis() / 1000.0 - 7200, org.assertj.core.data.Offset.offset(600.0));
            assertThat(registry.get("fortress.backup.none.since.timestamp").gauge().value()).isNaN();
            assertThat(new BackupSchedule(restarted, Duration.ofHours(24)).firstDelay()).as("due one interval after the newest")
                    .isBetween(Duration.ofHours(21), Duration.ofHours(22));
            assertThat(new BackupSchedule(restarted, Duration.ofHours(1)).firstDelay()).as("overdue: at once").isZero();
            // the old meaning of 0 for the time is gone from the fresh manager too, once it has a backup of its own
            BackupInfo own = empty.backup();
            assertThat(fresh.get("fortress.backup.last.success.timestamp").gauge().value()).isPositive();
            assertThat(fresh.get("fortress.backup.none.since.timestamp").gauge().value()).isNaN();
            assertThat(own.id()).isNotEqualTo(earlier.id());
        }
    }
}
