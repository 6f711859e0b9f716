package io.fortress.db.internal.backup.pitr;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.db.api.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.util.Optional;
import java.util.Properties;

/** Test helpers: pgBackRest settings for a LocalCluster, in a folder the database's OS user can reach. */
final class PitrTesting {
    static final Secret CIPHER_PASS = Secret.of("test-cipher-pass-" + java.util.UUID.randomUUID());

    private PitrTesting() {
    }

    /** A folder under the system's temporary folder that the server's OS user can traverse (a JUnit @TempDir is 0700 root). */
    static Path workFolder(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** Settings for the cluster's primary, its first replica as pg2 when it has one, and an encrypted local repository. */
    static PgBackRestSettings.Builder settings(LocalCluster cluster, Path work, String stanza) {
        PgBackRestSettings.Builder b = PgBackRestSettings.builder().stanza(stanza).workDirectory(work)
                .primary(PgInstance.tcp(cluster.primary().dataDirectory(), cluster.primary().port(), cluster.superuser()))
                .localRepository(new LocalRepository(work.resolve("repo"), 2, Optional.empty(), Optional.of(CIPHER_PASS)))
                .connectHost(Node.HOST).passFile(cluster.pgpassFile());
        if (!cluster.replicas().isEmpty()) {
            Node replica = cluster.replica(1);
            b.standby(PgInstance.tcp(replica.dataDirectory(), replica.port(), cluster.superuser())).backupStandby(true);
        }
        return b;
    }

    /** Superuser connections to the cluster's database on any port of 127.0.0.1 (restored servers keep the logins). */
    static Connector connector(LocalCluster cluster) {
        return port -> {
            Properties props = new Properties();
            props.setProperty("user", cluster.superuser());
            props.setProperty("password", cluster.password());
            props.setProperty("connectTimeout", "10");
            props.setProperty("sslmode", "disable");
            return DriverManager.getConnection("jdbc:postgresql://" + Node.HOST + ":" + port + "/" + cluster.database(), props);
        };
    }

    static void deleteTree(Path root) {
        Restore.deleteTree(root);
    }
}
