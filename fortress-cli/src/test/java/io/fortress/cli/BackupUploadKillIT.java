package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.backup.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real kill during an upload: `fortress backup upload` runs as a process of its own and gets SIGKILL
 * as soon as its first bytes reach the repository (s3proxy on loopback). Nothing is listed afterwards,
 * the backup stays pending, and the next upload removes the leftovers and completes the copy.
 */
class BackupUploadKillIT {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);

    @TempDir
    Path work;

    @Test
    void aKilledUploadLeavesNothingListedAndTheNextOneFinishes() throws Exception {
        try (Connection c = CLUSTER.cluster().primary().connect(); Statement s = c.createStatement()) {
            // about 100 MB that compression cannot shrink much: the upload takes long enough to be caught in the middle
            s.execute("CREATE TABLE payload AS SELECT g AS id, md5(random()::text) || md5(random()::text) || md5(random()::text) AS v "
                    + "FROM generate_series(1, 900000) g");
        }
        try (S3Server s3 = new S3Server(work.resolve("s3"))) {
            s3.createBucket("kill");
            Path key = work.resolve("backup.key");
            Files.writeString(key, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n");
            Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Map<String, String> env = new HashMap<>(CliEnvironment.of(CLUSTER.cluster(), CLUSTER.cluster().database(),
                    work.resolve("backups").toString()));
            env.put("COMPRESSION", "false");
            env.put("BACKUP_REMOTE", "s3://kill/fortress");
            env.put("BACKUP_REMOTE_ENDPOINT", s3.endpoint().toString());
            env.put("BACKUP_REMOTE_PATH_STYLE", "true");
            env.put("BACKUP_ENCRYPTION_KEY_FILE", key.toString());

            // the backup is taken while the repository is away, so that the upload alone can be killed
            s3.stop();
            CliRun create = CliRun.of(env, "backup", "create");
            s3.start();
            assertThat(create.status()).as(create.err()).isZero();
            assertThat(create.err()).contains("not yet copied");

            Map<String, String> child = new HashMap<>(env);
            child.put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
            child.put("AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
            Path log = work.resolve("upload.log");
            Process upload = FortressProcess.builder(child, log, "backup", "upload").start();
            Path bucket = s3.dir().resolve("kill");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (upload.isAlive() && filesIn(bucket) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            upload.destroyForcibly(); // SIGKILL: no clean-up of any kind runs
            upload.waitFor(30, TimeUnit.SECONDS);
            assertThat(filesIn(bucket)).as("the upload had begun when it was killed:\n" + Files.readString(log)).isPositive();

            CliRun listed = CliRun.of(env, "backup", "list", "--remote");
            assertThat(listed.status()).as(listed.err()).isZero();
            assertThat(listed.out()).as("a killed upload lists nothing").contains("no backups in");

            CliRun again = CliRun.of(env, "backup", "upload");
            assertThat(again.status()).as(again.err()).isZero();
            assertThat(again.out()).contains("copied backup");
            assertThat(CliRun.of(env, "backup", "list", "--remote").out()).contains("fortress_");
            try (S3Client client = s3.client()) {
                assertThat(client.listMultipartUploads(b -> b.bucket("kill")).uploads()).as("unfinished uploads aborted").isEmpty();
            }
            CliRun verify = CliRun.of(env, "backup", "verify", "--remote",
                    CliRun.of(env, "backup", "list", "--json").out().replaceAll("(?s).*\"id\" : \"([^\"]+)\".*", "$1"));
            assertThat(verify.status()).as(verify.out() + verify.err()).isZero();
        }
    }

    private static long filesIn(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).count();
        }
    }
}
