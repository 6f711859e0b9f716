package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalClusterExtension;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup script end to end: scripts/backup-database.sh → bin/fortress → the packaged jar, as an
 * operator runs them, with DB_* pointing at a real cluster. Runs after `package` (failsafe).
 */
class BackupScriptIT {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    record Run(int status, String out) {
    }

    @BeforeAll
    static void data() throws Exception {
        try (Connection c = CLUSTER.cluster().primary().connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA credits");
            s.execute("CREATE TABLE credits.credits AS SELECT g AS id, g * 10 AS balance FROM generate_series(1, 500) g");
        }
    }

    private Run script(Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(ROOT.resolve("scripts/backup-database.sh").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        FortressProcess.isolate(pb, env);
        java.nio.file.Path output = java.nio.file.Files.createTempFile(tmp, "backup-script", ".out");
        pb.redirectOutput(output.toFile()); // a file, not a pipe: a hung script cannot hang the read
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the script did not finish: " + java.nio.file.Files.readString(output));
        }
        return new Run(p.exitValue(), java.nio.file.Files.readString(output));
    }

    @Test
    void theScriptsFiveCommands() throws Exception {
        Map<String, String> env = CliEnvironment.of(CLUSTER.cluster(), CLUSTER.cluster().database(), tmp.resolve("backups").toString());

        Run backup = script(env, "backup", "--json");
        assertThat(backup.status()).as(backup.out()).isZero();
        JsonNode created = new ObjectMapper().readTree(backup.out().substring(backup.out().indexOf('{')));
        String file = created.get("path").asText();

        Run list = script(env, "list");
        assertThat(list.status()).isZero();
        assertThat(list.out()).contains(created.get("id").asText()).contains("verified");

        Run verify = script(env, "verify", file);
        assertThat(verify.status()).as(verify.out()).isZero();
        assertThat(verify.out()).contains("full-read: PASSED");

        Map<String, String> restoreEnv = new HashMap<>(env);
        restoreEnv.put("DB_NAME", "test_restore");
        Run restore = script(restoreEnv, "restore", file);
        assertThat(restore.status()).as(restore.out()).isZero();
        try (Connection c = CLUSTER.cluster().primary().connect("test_restore"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM credits.credits")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(500);
        }

        Run cleanup = script(env, "cleanup");
        assertThat(cleanup.status()).isZero();
        assertThat(cleanup.out()).contains("keep " + created.get("id").asText());

        // the same exit codes as the command: 1 for a failed verification, 2 for bad usage
        try (RandomAccessFile f = new RandomAccessFile(file, "rw")) {
            f.setLength(f.length() / 2);
        }
        assertThat(script(env, "verify", file).status()).isEqualTo(1);
        assertThat(script(env, "restore").status()).isEqualTo(2);
        assertThat(script(env, "explode").status()).isEqualTo(2);
    }

    @Test
    void helpPrintsTheLeadingCommentOnly() throws Exception {
        Run help = script(Map.of(), "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).startsWith("The backup tool").contains("cleanup --dry-run")
                .doesNotContainPattern("(?m)^#").doesNotContain("set -euo pipefail").doesNotContain("fortress=");
    }
}
