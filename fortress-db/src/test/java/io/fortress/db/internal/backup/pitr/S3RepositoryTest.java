package io.fortress.db.internal.backup.pitr;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.api.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A second, encrypted repository on an S3-compatible server over TLS (s3proxy in this JVM): a base
 * backup and WAL land there encrypted, and a restore from that repository alone brings the data back.
 */
@RequiresTool(Tool.PGBACKREST)
class S3RepositoryTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(0);
    private static final Secret S3_PASS = Secret.of("s3-cipher-pass-" + java.util.UUID.randomUUID());
    private static Path work;
    private static TlsS3Server s3;

    @BeforeAll
    static void start() throws Exception {
        work = PitrTesting.workFolder("fortress-pitr-s3-");
        s3 = new TlsS3Server(work.resolve("s3"));
        Files.setPosixFilePermissions(work.resolve("s3"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        s3.createBucket("fortress-wal");
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) {
            s3.close();
        }
        if (work != null) {
            PitrTesting.deleteTree(work);
        }
    }

    @Test
    void aRestoreFromTheEncryptedS3RepositoryAloneBringsTheDataBack() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        S3Repository repo2 = new S3Repository("fortress-wal", "localhost", s3.port(), "us-east-1", Path.of("/pgbackrest"),
                Optional.of(s3.certificate()), Secret.of(TlsS3Server.ACCESS_KEY), Secret.of(TlsS3Server.SECRET_KEY), 1, S3_PASS);
        PgBackRestSettings settings = PitrTesting.settings(cluster, work.resolve("pgbackrest"), "s3").s3Repository(repo2).build();
        Connector connector = PitrTesting.connector(cluster);
        PitrEngine engine = new PitrEngine(new PgBackRest(settings, PgBackRest.locate()), connector, cluster.binaries().binDir(),
                Duration.ofMinutes(5));
        engine.archiving().enable(cluster.primary()::restart);
        engine.backup(BaseBackupType.FULL, OptionalInt.of(2));
        cluster.primary().execute("CREATE TABLE after_backup AS SELECT g AS id FROM generate_series(1, 1000) g");

        engine.archiveMonitor().switchAndAwaitArchived(Duration.ofSeconds(60));
        // the local repository is lost: only the S3 copy remains
        Path local = settings.localRepository().path();
        Files.move(local, local.resolveSibling("repo-lost"));

        Path restored = work.resolve("restored-from-s3");
        try (RestoredServer server = engine.restore(RestoreTarget.latest(), restored, OptionalInt.of(2), false, true);
             Connection c = connector.open(server.port()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM after_backup")) {
            rs.next();
            assertThat(rs.getLong(1)).as("a table written after the backup, replayed from WAL in S3").isEqualTo(1000);
        }
        assertThat(engine.info().backups()).as("what the repositories list with the local one gone")
                .isNotEmpty().allMatch(b -> b.repository() == 2);
        try (Stream<Path> objects = Files.walk(s3.objects().resolve("fortress-wal"))) {
            java.util.List<Path> stored = objects.filter(Files::isRegularFile).filter(p -> p.toString().contains("pgbackrest")).toList();
            assertThat(stored).as("objects in the bucket").anyMatch(p -> p.toString().contains("/archive/"))
                    .anyMatch(p -> p.toString().contains("/backup/"));
            for (Path object : stored) {
                byte[] head = Files.readAllBytes(object);
                assertThat(new String(head, 0, Math.min(8, head.length), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .as("%s is encrypted", object).isEqualTo("Salted__");
            }
        }
        assertThat(Files.readString(settings.configFile())).contains("repo2-storage-ca-file=" + s3.certificate());
    }
}
