package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two attacks of issue #23 that succeeded through the `fortress` command, carried out again
 * against a real cluster by someone who can write into BACKUP_DIR (manifests included): a shell
 * command in the globals file on `backup restore --globals`, and `backup cleanup` led to a folder
 * outside BACKUP_DIR by a manifest. Both now fail, with the message the operator sees.
 */
class BackupTrustCommandTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() throws Exception {
        try (Connection c = CLUSTER.cluster().primary().connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE trust AS SELECT g AS id FROM generate_series(1, 100) g");
        }
    }

    private Map<String, String> env(String folder) {
        LocalCluster cluster = CLUSTER.cluster();
        Map<String, String> env = new HashMap<>(CliEnvironment.of(cluster, cluster.database(), tmp.resolve(folder).toString()));
        env.put("BACKUP_VERIFY", "checksums");
        return env;
    }

    /** Writes a file of the backup and its size and SHA-256 into the manifest, as an attacker with write access can. */
    private static void plant(Path manifest, String name, String content) throws Exception {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Files.write(manifest.resolveSibling(name), bytes);
        ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
        for (JsonNode f : (ArrayNode) m.get("files")) {
            if (f.get("path").asText().equals(name)) {
                ((ObjectNode) f).put("size_bytes", bytes.length)
                        .put("sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
            }
        }
        Files.write(manifest, JSON.writeValueAsBytes(m));
    }

    @Test
    void restoreGlobalsRunsNoShellCommandFromAPlantedGlobalsFile() throws Exception {
        Map<String, String> env = env("globals");
        env.put("BACKUP_GLOBALS", "true");
        CliRun create = CliRun.of(env, "backup", "create", "--json");
        assertThat(create.status()).as(create.err()).isZero();
        String id = JSON.readTree(create.out()).get("id").asText();
        Path manifest = tmp.resolve("globals").resolve(id + ".manifest.json");
        Path globals = manifest.resolveSibling(id + ".globals.sql");
        Path marker = tmp.resolve("pwned");
        String original = Files.readString(globals);

        plant(manifest, id + ".globals.sql", original + "\n\\! touch " + marker + "\n");
        CliRun lineStart = CliRun.of(env, "backup", "restore", id, "--globals", "--target-db", "never_a");
        assertThat(lineStart.status()).isEqualTo(1);
        assertThat(lineStart.err()).contains("has the psql meta-command \\! on line")
                .contains("a globals file may hold SQL and only \\connect, \\restrict and \\unrestrict");

        plant(manifest, id + ".globals.sql", original.replace("SET client_encoding = 'UTF8';",
                "SET client_encoding = 'UTF8'; \\! touch " + marker));
        CliRun inLine = CliRun.of(env, "backup", "restore", id, "--globals", "--target-db", "never_b");
        assertThat(inLine.status()).isEqualTo(1);
        assertThat(inLine.err()).contains("has a backslash outside an accepted meta-command line on line")
                .contains("a globals file may hold only what pg_dumpall --globals-only writes");

        plant(manifest, id + ".globals.sql", original + "\nCOPY (SELECT 1) TO PROGRAM 'touch " + marker + "';\n");
        CliRun program = CliRun.of(env, "backup", "restore", id, "--globals", "--target-db", "never_d");
        assertThat(program.status()).isEqualTo(1);
        assertThat(program.err()).contains("has a statement starting COPY on line");
        assertThat(marker).as("no shell command ran").doesNotExist();

        Path evil = Files.writeString(tmp.resolve("evil.sql"), "\\! touch " + marker + "\n");
        ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
        m.put("globals", evil.toString());
        Files.write(manifest, JSON.writeValueAsBytes(m));
        CliRun outside = CliRun.of(env, "backup", "restore", id, "--globals", "--target-db", "never_c");
        assertThat(outside.status()).isEqualTo(1);
        assertThat(outside.err()).contains("the manifest " + manifest + " is refused: its globals file '" + evil + "' is not "
                + id + ".globals.sql");
        assertThat(marker).doesNotExist();
    }

    @Test
    void cleanupDeletesNothingOutsideBackupDir() throws Exception {
        Map<String, String> env = env("retention");
        env.put("BACKUP_MIN_KEEP", "1");
        env.put("RETENTION_DAYS", "1");
        String first = JSON.readTree(CliRun.of(env, "backup", "create", "--json").out()).get("id").asText();
        Thread.sleep(1100); // ids are per second
        CliRun second = CliRun.of(env, "backup", "create", "--json");
        assertThat(second.status()).as(second.err()).isZero();
        Path victim = Files.createDirectories(tmp.resolve("victim"));
        Files.writeString(victim.resolve("precious.txt"), "keep me");
        Path manifest = tmp.resolve("retention").resolve(first + ".manifest.json");
        ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
        m.put("archive", "../victim").put("started_at", "2020-01-01T00:00:00Z").put("finished_at", "2020-01-01T00:00:01Z");
        ((ObjectNode) m.get("files").get(0)).put("path", "../victim");
        Files.write(manifest, JSON.writeValueAsBytes(m));

        CliRun cleanup = CliRun.of(env, "backup", "cleanup");
        assertThat(cleanup.status()).as(cleanup.err()).isZero();
        assertThat(victim.resolve("precious.txt")).hasContent("keep me");
        assertThat(cleanup.out()).doesNotContain(first);
        CliRun named = CliRun.of(env, "backup", "verify", first);
        assertThat(named.status()).isEqualTo(1);
        assertThat(named.err()).contains("the manifest " + manifest + " is refused: its archive '../victim' is not " + first + ".dump");
    }
}
