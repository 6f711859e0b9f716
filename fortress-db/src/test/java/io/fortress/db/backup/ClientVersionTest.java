package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.PgBinaries;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.internal.backup.BackupFiles;
import io.fortress.db.internal.backup.ClientTools;
import io.fortress.db.internal.backup.PgToolLocator;
import io.fortress.db.internal.backup.PgVersion;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client tools older than the server. The decision is unit-tested on real
 * {@code --version} output; the refusal is tested for real against a PostgreSQL 17 server (the
 * embedded binaries Maven fetched) with this machine's older client tools.
 */
class ClientVersionTest {
    @TempDir
    Path tmp;

    private static ClientTools tools(String versionOutput) {
        return new ClientTools(Path.of("/opt/pg/" + versionOutput.hashCode()), PgVersion.parseToolOutput(versionOutput));
    }

    @Test
    void parsesToolVersionsAsTheyArePrinted() {
        assertThat(PgVersion.parseToolOutput("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").majorText()).isEqualTo("15");
        assertThat(PgVersion.parseToolOutput("pg_dump (PostgreSQL) 17beta1").majorText()).isEqualTo("17");
        assertThat(PgVersion.parseToolOutput("pg_dump (PostgreSQL) 9.6.24").majorText()).isEqualTo("9.6");
        assertThat(PgVersion.parseToolOutput("pg_dump (PostgreSQL) 9.6.24").major()).isLessThan(PgVersion.parseToolOutput("pg_dump (PostgreSQL) 10.1").major());
        assertThat(PgVersion.ofServer(170006, "17.6").majorText()).isEqualTo("17");
        assertThat(PgVersion.parseToolOutput("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)").num()).isEqualTo(150018);
        assertThat(PgVersion.parseToolOutput("pg_dump (PostgreSQL) 9.6.24").num()).isEqualTo(90624);
        assertThat(PgVersion.parseToolOutput("pg_dump (PostgreSQL) 17beta1").num()).isEqualTo(170000);
        assertThat(PgVersion.parseVersionText("15.18 (Debian 15.18-0+deb12u1)").num()).isEqualTo(150018);
        assertThatThrownBy(() -> PgVersion.parseToolOutput("bash: pg_dump: command not found")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void choosesTheNewestClientAtLeastAsNewAsTheServer() throws Exception {
        String real = BackupTesting.run(null, List.of("pg_dump", "--version"));
        ClientTools installed = tools(real);
        ClientTools older = tools("pg_dump (PostgreSQL) 13.9");
        ClientTools newer = tools("pg_dump (PostgreSQL) 18.1");
        PgVersion server = PgVersion.ofServer(installed.version().major() * 100, installed.version().text());
        assertThat(PgToolLocator.choose(List.of(older, installed), server, "the server", "test")).isSameAs(installed);
        assertThat(PgToolLocator.choose(List.of(installed, newer, older), server, "the server", "test")).isSameAs(newer);
        PgVersion newerServer = PgVersion.ofServer(1900 * 100, "19.0");
        assertThatThrownBy(() -> PgToolLocator.choose(List.of(older, installed), newerServer, "the server (PostgreSQL 19.0)", "PATH"))
                .isInstanceOf(BackupException.class)
                .hasMessageContaining("pg_dump " + installed.version().text())
                .hasMessageContaining("older than the server (PostgreSQL 19.0)")
                .hasMessageContaining("PostgreSQL 19 or newer");
    }

    @Test
    void refusesAServerNewerThanTheClientToolsBeforeWritingAnything() throws Exception {
        Path clientBin = Path.of(BackupTesting.run(null, List.of("pg_config", "--bindir")).strip());
        PgVersion client = PgVersion.parseToolOutput(BackupTesting.run(null, List.of(clientBin.resolve("pg_dump").toString(), "--version")));
        // in a new folder the server's OS user can reach (not the 0700 TempDir)
        Path newerServer = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "fortress-pg-newer-");
        try (LocalCluster cluster = LocalCluster.builder().replicas(0).binaries(PgBinaries.in(unpackNewerServer(newerServer))).start();
             Database db = Database.open(TestDatabases.primaryOnly(cluster).build())) {
            assertThat(cluster.binaries().majorVersion()).as("the test needs a server newer than the client tools")
                    .isGreaterThan(client.majorNumber());
            Path dir = tmp.resolve("backups");
            BackupManager m = BackupManager.create(db, BackupConfig.builder().backupDir(dir).build());
            assertThatThrownBy(m::checkClientTools).as("a service's check at start")
                    .isInstanceOf(BackupException.class).hasMessageContaining("is older than the server");
            assertThatThrownBy(m::backup).isInstanceOf(BackupException.class)
                    .hasMessageContaining("is older than the server 127.0.0.1:" + cluster.primary().port()
                            + " (PostgreSQL " + cluster.binaries().version())
                    .hasMessageContaining("pg_dump " + client.majorText() + ".");
            assertThat(dir).doesNotExist();

            BackupManager pinned = BackupManager.create(db, BackupConfig.builder().backupDir(dir).pgBin(clientBin).build());
            assertThatThrownBy(pinned::backup).hasMessageContaining("pg_dump " + client.text() + " (" + clientBin + ", the newest found in PG_BIN="
                    + clientBin);
            assertThat(dir).doesNotExist();
        } finally {
            BackupFiles.deleteTree(newerServer);
        }
    }

    /** Unpacks the embedded PostgreSQL 17 server binaries that Maven copied to target/newer-server into root; returns their bin folder. */
    private static Path unpackNewerServer(Path root) throws Exception {
        Path jar = Path.of("target", "newer-server", "postgres-binaries.jar");
        assertThat(jar).as("mvn generate-test-resources copies it").exists();
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path txz = root.resolve("postgres.txz");
        try (ZipFile zip = new ZipFile(jar.toFile()); InputStream in = zip.getInputStream(zip.getEntry("postgres-linux-x86_64.txz"))) {
            Files.copy(in, txz);
        }
        Process tar = new ProcessBuilder("tar", "-xJf", txz.toString(), "-C", root.toString()).inheritIO().start();
        assertThat(tar.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(tar.exitValue()).isZero();
        Files.delete(txz);
        return root.resolve("bin");
    }

}
