package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.internal.backup.pitr.TlsS3Server;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Point-in-time recovery with BACKUP_REMOTE set: WAL and base backups go into the bucket too (repository 2, encrypted,
 * over TLS to s3proxy), and after the site is lost (the primary stopped, the local repository gone) a restore from the
 * bucket alone brings back every archived commit.
 */
@RequiresTool(Tool.PGBACKREST)
class PointInTimeRemoteTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(0);

    @Test
    void walAndBaseBackupsReachTheBucketAndARestoreFromItAloneBringsTheDataBack() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Path work = PitrTests.workFolder("fortress-pitr-remote-");
        try (TlsS3Server s3 = new TlsS3Server(work.resolve("s3"))) {
            Files.setPosixFilePermissions(work.resolve("s3"), PosixFilePermissions.fromString("rwxr-xr-x"));
            s3.createBucket("fortress-copies");
            System.setProperty("aws.accessKeyId", TlsS3Server.ACCESS_KEY); // the AWS SDK's default chain, as for dumps' copies
            System.setProperty("aws.secretAccessKey", TlsS3Server.SECRET_KEY);
            Path key = work.resolve("pitr.key");
            Files.writeString(key, "remote-passphrase-" + java.util.UUID.randomUUID() + "\n");
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            BackupConfig config = BackupConfig.builder().backupDir(work.resolve("dumps")).pitr(true).pitrRepoPath(work.resolve("repo"))
                    .pitrWorkDir(work.resolve("pgbackrest")).pitrCipherKeyFile(key).remote(RemoteLocation.parse("s3://fortress-copies/prod"))
                    .remoteEndpoint(URI.create("https://localhost:" + s3.port())).remoteAllowPlaintext(true)
                    .pitrRemoteCaFile(s3.certificate()).build();
            try (Database db = Database.open(TestDatabases.primaryOnly(cluster).build())) {
                PointInTime pitr = BackupManager.create(db, config).pointInTime();
                pitr.setUpArchiving(cluster.primary()::restart);
                cluster.primary().execute("CREATE TABLE remote_rows AS SELECT g AS id FROM generate_series(1, 300) g");
                pitr.backup(BaseBackupType.FULL);
                assertThat(pitr.list().backups()).as("a base backup in each repository").extracting(BaseBackupInfo::repository)
                        .contains(1, 2);
                cluster.primary().execute("INSERT INTO remote_rows SELECT g FROM generate_series(301, 400) g");
                String segment = cluster.primary().queryValue("SELECT pg_walfile_name(pg_switch_wal())");
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (pitr.archiveState().lastArchivedWal().map(w -> w.compareTo(segment) < 0).orElse(true)) {
                    assertThat(System.nanoTime()).as("segment %s archived", segment).isLessThan(deadline);
                    Thread.sleep(100);
                }
                // the site is lost: the primary and the local repository; what setup remembered and the bucket remain
                cluster.primary().stop();
                Files.move(work.resolve("repo"), work.resolve("repo-lost"));
                try (RestoredCluster restored = BackupManager.create(db, config).pointInTime()
                        .restore(RecoveryTarget.latest(), work.resolve("restored"), false)) {
                    assertThat(PitrTests.count(cluster, restored.port(), "SELECT count(*) FROM remote_rows"))
                            .as("the rows of the base backup and those replayed from WAL in the bucket").isEqualTo(400);
                }
            }
            try (Stream<Path> objects = Files.walk(s3.objects().resolve("fortress-copies"))) {
                assertThat(objects.filter(Files::isRegularFile).map(Path::toString).toList()).as("objects under the prefix")
                        .anyMatch(p -> p.contains("/prod/pgbackrest/archive/")).anyMatch(p -> p.contains("/prod/pgbackrest/backup/"));
            }
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
            if (!cluster.primary().isRunning()) {
                cluster.primary().start();
            }
            PitrTests.deleteTree(work);
        }
    }

    @Test
    void theBucketNeedsTheRepositoryKeyAndAnHttpsEndpoint() {
        BackupConfig.Builder base = BackupConfig.builder().pitr(true).pitrRepoPath(Path.of("/srv/pitr"))
                .remote(RemoteLocation.parse("s3://bucket/p")).remoteAllowPlaintext(true);
        assertThatThrownBy(base::build).isInstanceOf(DbConfigException.class).hasMessageContaining("BACKUP_PITR_CIPHER_KEY_FILE")
                .hasMessageContaining("always encrypted");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR", "true", "BACKUP_PITR_REPO_PATH", "/srv/pitr",
                "BACKUP_PITR_CIPHER_KEY_FILE", "/etc/pitr.key", "BACKUP_REMOTE", "s3://bucket/p", "BACKUP_REMOTE_ALLOW_PLAINTEXT", "true",
                "BACKUP_REMOTE_ENDPOINT", "http://127.0.0.1:9000"))).hasMessageContaining("TLS only")
                .hasMessageContaining("BACKUP_REMOTE_ENDPOINT");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR_REMOTE_CA_FILE", "/etc/ca.pem")))
                .hasMessageContaining("BACKUP_PITR_REMOTE_CA_FILE").hasMessageContaining("BACKUP_REMOTE");
    }
}
