package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.RowMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The repository becomes unreachable (its folder closed to the database's OS user): the cluster keeps taking writes, the
 * primary keeps the WAL it cannot archive, the archiver's state and meters say so, and once the repository is back the
 * archive catches up and a restore to the latest point holds every write, those of the outage included.
 */
@RequiresTool(Tool.PGBACKREST)
class PointInTimeArchiveOutageTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(0);

    @Test
    void writesGoOnWhileTheArchiveFailsAndTheArchiveCatchesUpWithNothingLost() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Path work = PitrTests.workFolder("fortress-pitr-outage-");
        Path repo = work.resolve("repo");
        BackupConfig config = BackupConfig.builder().backupDir(work.resolve("dumps")).pitr(true).pitrRepoPath(repo)
                .pitrWorkDir(work.resolve("pgbackrest")).build();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Set<PosixFilePermission> open = null;
        try (Database db = Database.open(TestDatabases.primaryOnly(cluster).build())) {
            PointInTime pitr = BackupManager.builder(db, config).meterRegistry(meters).build().pointInTime();
            pitr.setUpArchiving(cluster.primary()::restart);
            pitr.backup(BaseBackupType.FULL);
            db.exec("CREATE TABLE outage_rows(id int)");
            db.exec("INSERT INTO outage_rows SELECT g FROM generate_series(1, 100) g");

            open = Files.getPosixFilePermissions(repo);
            Files.setPosixFilePermissions(repo, PosixFilePermissions.fromString("---------")); // the repository is gone for pgBackRest
            for (int batch = 1; batch <= 3; batch++) {
                db.exec("INSERT INTO outage_rows SELECT g FROM generate_series(?, ?) g", batch * 100 + 1, batch * 100 + 100);
                cluster.primary().queryValue("SELECT pg_switch_wal()"); // a finished segment the archiver must push
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> pitr.archiveState().failing());
            ArchiveState failing = pitr.archiveState();
            assertThat(failing.failedCount()).isPositive();
            assertThat(failing.unarchivedBytes()).as("WAL the primary keeps while it cannot archive").isPositive();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(
                    () -> assertThat(meters.get("fortress.pitr.archive.failing").gauge().value()).isEqualTo(1.0));
            assertThat(db.exec("INSERT INTO outage_rows SELECT g FROM generate_series(401, 500) g")).as("writes go on").isEqualTo(100);

            Files.setPosixFilePermissions(repo, open); // the repository is back
            open = null;
            String last = cluster.primary().queryValue("SELECT pg_walfile_name(pg_switch_wal())"); // also wakes the archiver
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                ArchiveState s = pitr.archiveState();
                return !s.failing() && s.lastArchivedWal().filter(w -> w.compareTo(last) >= 0).isPresent();
            });
            assertThat(db.queryOne(Consistency.strong(), "SELECT count(*) FROM outage_rows", RowMapper.firstLong())).contains(500L);
            try (RestoredCluster restored = pitr.restore(RecoveryTarget.latest(), work.resolve("restored"), false)) {
                assertThat(PitrTests.count(cluster, restored.port(), "SELECT count(*) FROM outage_rows"))
                        .as("every write, those made while the archive failed included").isEqualTo(500);
            }
        } finally {
            if (open != null) {
                Files.setPosixFilePermissions(repo, open);
            }
            PitrTests.deleteTree(work);
        }
    }
}
