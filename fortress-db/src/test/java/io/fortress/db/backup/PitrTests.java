package io.fortress.db.backup;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;

/** Test helpers of the point-in-time recovery facade's tests. */
final class PitrTests {
    private PitrTests() {
    }

    /** A folder the database's OS user can traverse (a JUnit @TempDir is 0700 root), for the repository and work folder. */
    static Path workFolder(String prefix) throws IOException {
        Path work = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), prefix);
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        return work;
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One number a query returns on the cluster's database of the server at {@code port} (the primary or a restored one). */
    static long count(LocalCluster cluster, int port, String sql) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", cluster.superuser());
        p.setProperty("password", cluster.password());
        p.setProperty("sslmode", "disable");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + Node.HOST + ":" + port + "/" + cluster.database(), p);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
