package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The primary is killed (-9) and its data directory lost: a restore to the latest point, by a manager made after the loss (as a
 * `fortress backup pitr restore` run then would be), works from what setup remembered and holds every
 * commit whose WAL reached the archive.
 */
@RequiresTool(Tool.PGBACKREST)
class PointInTimeDisasterTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(0);

    @Test
    void aRestoreAfterThePrimaryIsLostHoldsEveryArchivedCommit() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Path work = PitrTests.workFolder("fortress-pitr-disaster-");
        BackupConfig config = BackupConfig.builder().backupDir(work.resolve("dumps")).pitr(true).pitrRepoPath(work.resolve("repo"))
                .pitrWorkDir(work.resolve("pgbackrest")).build();
        try (Database db = Database.open(TestDatabases.primaryOnly(cluster).build())) {
            PointInTime before = BackupManager.create(db, config).pointInTime();
            before.setUpArchiving(cluster.primary()::restart);
            before.backup(BaseBackupType.FULL);
            cluster.primary().execute("CREATE TABLE ledger AS SELECT g AS id FROM generate_series(1, 700) g");
            String switched = switchWal(cluster);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (before.archiveState().lastArchivedWal().map(w -> w.compareTo(switched) < 0).orElse(true)) {
                assertThat(System.nanoTime()).as("segment " + switched + " archived within 60 s").isLessThan(deadline);
                Thread.sleep(100);
            }
            cluster.primary().kill();
            // the data directory is gone too (moved aside, so that the cluster can be put back for the next tests)
            Path data = cluster.primary().dataDirectory();
            Path aside = data.resolveSibling(data.getFileName() + "-lost");
            Files.move(data, aside);
            try {
                PointInTime after = BackupManager.create(db, config).pointInTime();
                try (RestoredCluster server = after.restore(RecoveryTarget.latest(), work.resolve("restored"), false)) {
                    assertThat(PitrTests.count(cluster, server.port(), "SELECT count(*) FROM ledger")).isEqualTo(700);
                }
            } finally {
                Files.move(aside, data);
                cluster.primary().start();
            }
        } finally {
            PitrTests.deleteTree(work);
        }
    }

    private static String switchWal(LocalCluster cluster) throws Exception {
        try (Connection c = cluster.primary().connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
            rs.next();
            return rs.getString(1);
        }
    }

}
