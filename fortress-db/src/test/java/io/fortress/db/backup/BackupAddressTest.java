package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.DbConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The tools reach the node writes go to, whatever form DB_HOST takes. */
class BackupAddressTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);

    @TempDir
    Path tmp;

    @Test
    void dbHostWithAPort() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        DbConfig config = TestDatabases.primaryOnly(cluster).host(cluster.primary().address()).port(1).build();
        backUpVerifyAndList(config, "with-port");
    }

    @Test
    void severalCandidatesOfWhichTheFirstIsDown() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(Node.HOST))) {
            deadPort = s.getLocalPort();
        }
        DbConfig config = TestDatabases.primaryOnly(cluster)
                .host(Node.HOST + ":" + deadPort + "," + cluster.primary().address()).build();
        backUpVerifyAndList(config, "candidates");
    }

    private void backUpVerifyAndList(DbConfig config, String name) throws Exception {
        try (Database db = Database.open(config)) {
            assertThat(db.primaryAddress().toString()).isEqualTo(CLUSTER.cluster().primary().address());
            BackupManager m = BackupManager.create(db, BackupConfig.builder().backupDir(BackupTesting.folder(tmp, name)).build());
            BackupInfo backup = m.backup();
            assertThat(backup.status()).isEqualTo(BackupStatus.VERIFIED);
            assertThat(m.verifyBackup(backup.path(), VerifyLevel.RESTORE_DRILL).passed()).isTrue();
            assertThat(m.listBackups()).extracting(BackupInfo::id).containsExactly(backup.id());
        }
    }
}
