package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.backup.S3Server;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** `fortress backup ... --remote` in process against a real cluster and a real S3-compatible server (s3proxy on loopback). */
class BackupRemoteCommandTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static S3Server s3;

    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        try (Connection c = CLUSTER.cluster().primary().connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 1000) g");
        }
        s3 = new S3Server(shared.resolve("s3"));
        s3.createBucket("cli");
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    /** Every run of this test, to look for the key in all that fortress printed. */
    private final List<CliRun> runs = new ArrayList<>();

    private CliRun run(Map<String, String> env, String... args) {
        CliRun run = CliRun.of(env, args);
        runs.add(run);
        return run;
    }

    @Test
    void createListRestoreVerifyAndCleanupRemoteCopies() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Path key = tmp.resolve("backup.key");
        String keyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        Files.writeString(key, keyHex + "\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = new HashMap<>(CliEnvironment.of(cluster, cluster.database(), tmp.resolve("backups").toString()));
        env.put("BACKUP_REMOTE", "s3://cli/fortress");
        env.put("BACKUP_REMOTE_ENDPOINT", s3.endpoint().toString());
        env.put("BACKUP_REMOTE_PATH_STYLE", "true");
        env.put("BACKUP_ENCRYPTION_KEY_FILE", key.toString());

        CliRun create = run(env, "backup", "create");
        assertThat(create.status()).as(create.err()).isZero();
        JsonNode copies = JSON.readTree(run(env, "backup", "list", "--remote", "--json").out()).get("backups");
        assertThat(copies).hasSize(1);
        String id = copies.get(0).get("id").asText();
        String fingerprint = copies.get(0).get("key_fingerprint").asText();
        assertThat(fingerprint).hasSize(16);
        assertThat(run(env, "backup", "list", "--remote").out()).contains(id);
        assertThat(run(env, "backup", "upload").out()).contains("nothing to copy");

        CliRun restore = run(env, "backup", "restore", "--remote", id, "--target-db", "from_s3");
        assertThat(restore.status()).as(restore.err()).isZero();
        try (Connection c = cluster.primary().connect("from_s3"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1000);
        }
        CliRun verify = run(env, "backup", "verify", "--remote", id, "--level", "restore-drill");
        assertThat(verify.status()).as(verify.out() + verify.err()).isZero();

        Path archive;
        try (Stream<Path> files = Files.walk(s3.dir().resolve("cli"))) {
            archive = files.filter(p -> p.getFileName().toString().equals(id + ".dump")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x80);
        }
        CliRun damaged = run(env, "backup", "verify", "--remote", id);
        assertThat(damaged.status()).isEqualTo(1);
        assertThat(damaged.out()).contains("FAILED").contains("fails authentication");

        CliRun dry = run(env, "backup", "cleanup", "--remote", "--dry-run", "--json");
        assertThat(dry.status()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("\"dry_run\" : true").contains(id);
        // a manifest altered in the bucket: listed as unreadable, not skipped
        Path manifest;
        try (Stream<Path> files = Files.walk(s3.dir().resolve("cli"))) {
            manifest = files.filter(p -> p.getFileName().toString().equals(id + ".manifest.json")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(manifest.toFile(), "rw")) {
            f.seek(f.length() - 5);
            int b = f.read();
            f.seek(f.length() - 5);
            f.write(b ^ 0x01);
        }
        CliRun hidden = run(env, "backup", "list", "--remote");
        assertThat(hidden.status()).as(hidden.err()).isZero();
        assertThat(hidden.out()).contains(id).contains("UNREADABLE").contains("fails authentication");
        assertThat(hidden.err()).contains("fortress: 1 copy in s3://cli/fortress cannot be read: the manifest fails to decrypt or authenticate");
        JsonNode listed = JSON.readTree(run(env, "backup", "list", "--remote", "--json").out());
        assertThat(listed.get("backups")).isEmpty();
        assertThat(listed.get("unreadable").get(0).get("id").asText()).isEqualTo(id);
        // the key is in nothing fortress printed (which names the key by its fingerprint) ...
        String printed = runs.stream().map(r -> r.out() + r.err()).collect(Collectors.joining("\n"));
        assertThat(printed).as("all that fortress printed").contains(fingerprint).doesNotContainIgnoringCase(keyHex.substring(0, 20));
        // ... nor in any file it wrote, in the bucket or in the backup folder, as text or as the raw key
        byte[] rawKey = HexFormat.of().parseHex(keyHex);
        List<Path> written;
        try (Stream<Path> files = Stream.concat(Files.walk(s3.dir().resolve("cli")), Files.walk(tmp.resolve("backups")))) {
            written = files.filter(Files::isRegularFile).toList();
        }
        assertThat(written).as("files written").anyMatch(p -> p.getFileName().toString().equals(id + ".dump"))
                .anyMatch(p -> p.getFileName().toString().equals(id + ".manifest.json"));
        for (Path file : written) {
            byte[] bytes = Files.readAllBytes(file);
            assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).as(file.toString()).doesNotContainIgnoringCase(keyHex.substring(0, 20))
                    .doesNotContain(new String(rawKey, 0, 12, StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void anObjectDecryptedWithoutTheBucketRestoresWithPlainPgRestore() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Path key = tmp.resolve("dr.key");
        Files.writeString(key, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = new HashMap<>(CliEnvironment.of(cluster, cluster.database(), tmp.resolve("dr-backups").toString()));
        env.put("BACKUP_REMOTE", "s3://cli/dr");
        env.put("BACKUP_REMOTE_ENDPOINT", s3.endpoint().toString());
        env.put("BACKUP_REMOTE_PATH_STYLE", "true");
        env.put("BACKUP_ENCRYPTION_KEY_FILE", key.toString());
        JsonNode created = JSON.readTree(run(env, "backup", "create", "--json").out());
        String id = created.get("id").asText();
        // the stored object as any S3 tool would download it: s3proxy keeps it as a file
        Path object;
        try (Stream<Path> files = Files.walk(s3.dir().resolve("cli"))) {
            object = files.filter(p -> p.toString().contains("/dr/") && p.getFileName().toString().equals(id + ".dump")).findFirst().orElseThrow();
        }
        String name = cluster.database() + "/" + id + "/" + id + ".dump";

        Path wrongName = tmp.resolve("wrong.dump");
        CliRun misnamed = run(Map.of(), "backup", "decrypt", object.toString(), "--key-file", key.toString(), "--object-name",
                "dr/" + name, "--output", wrongName.toString());
        assertThat(misnamed.status()).isEqualTo(1);
        assertThat(misnamed.err()).contains("fortress: cannot decrypt " + object).contains("fails authentication")
                .contains("the object name must be the object's key below BACKUP_REMOTE's prefix, <database>/<id>/<file>");
        assertThat(wrongName).doesNotExist();
        assertThat(tmp).isDirectoryNotContaining(p -> p.getFileName().toString().endsWith(".partial"));

        Path open = tmp.resolve("open.key");
        Files.copy(key, open);
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        CliRun exposed = run(Map.of(), "backup", "decrypt", object.toString(), "--key-file", open.toString(), "--object-name", name);
        assertThat(exposed.status()).isEqualTo(2);
        assertThat(exposed.err()).contains("--key-file=" + open + " may be read by other users").contains("chmod 600 " + open)
                .doesNotContain("ffeeddcc");

        Path plain = tmp.resolve("decrypted.dump");
        CliRun decrypt = run(Map.of(), "backup", "decrypt", object.toString(), "--key-file", key.toString(), "--object-name", name,
                "--output", plain.toString());
        assertThat(decrypt.status()).as(decrypt.err()).isZero();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(plain))).isEqualTo("rw-------");
        JsonNode manifest = JSON.readTree(tmp.resolve("dr-backups").resolve(id + ".manifest.json").toFile());
        assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(plain))))
                .isEqualTo(manifest.get("files").get(0).get("sha256").asText());

        // plain pg_restore, no fortress: into a new database
        try (Connection c = cluster.primary().connect(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE from_decrypted");
        }
        ProcessBuilder pb = new ProcessBuilder("pg_restore", "--no-password", "--exit-on-error", "--dbname=from_decrypted", plain.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("pg_restore.out").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().put("PGHOST", io.fortress.cluster.Node.HOST);
        pb.environment().put("PGPORT", Integer.toString(cluster.primary().port()));
        pb.environment().put("PGUSER", cluster.superuser());
        pb.environment().put("PGPASSFILE", cluster.pgpassFile().toString());
        Process p = pb.start();
        try {
            assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("pg_restore.out"))).isZero();
        try (Connection c = cluster.primary().connect("from_decrypted"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1000);
        }
    }

    @Test
    void remoteOptionsWithoutARepositorySayWhatToSet() {
        LocalCluster cluster = CLUSTER.cluster();
        Map<String, String> env = CliEnvironment.of(cluster, cluster.database(), tmp.resolve("none").toString());
        CliRun list = run(env, "backup", "list", "--remote");
        assertThat(list.status()).isEqualTo(1);
        assertThat(list.err()).contains("BACKUP_REMOTE=s3://");
    }
}
