package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.internal.backup.BackupFiles;
import io.fortress.db.internal.backup.BackupStore;
import io.fortress.db.internal.backup.EncryptionKeys;
import io.fortress.db.internal.backup.ManifestJson;
import io.fortress.db.internal.backup.ObjectCipher;
import io.fortress.db.internal.backup.RemoteStore;
import io.fortress.db.internal.backup.S3Store;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Backups copied to a real S3-compatible server (s3proxy, filesystem backend, in this JVM on
 * loopback): round trip from the remote copy alone, encryption at rest (a canary row never appears in
 * the bucket's files), damage caught, a killed upload leaving nothing listed, a repository that goes
 * away and comes back, retention on both sides, and key rotation.
 */
class RemoteBackupTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final String SOURCE = "remote_src";
    private static final String CANARY = "CANARY-" + UUID.randomUUID();
    private static Database db;
    private static S3Server s3;
    private static String sourceSchema;
    private static Map<String, Long> sourceCounts;
    private static int buckets;

    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        BackupTesting.createDatabase(cluster, SOURCE);
        BackupTesting.createServiceSchemas(cluster, SOURCE, 200);
        BackupTesting.sql(cluster, SOURCE, "CREATE TABLE public.secrets (note text)", "INSERT INTO public.secrets VALUES ('" + CANARY + "')");
        db = Database.open(TestDatabases.primaryOnly(cluster).database(SOURCE).build());
        sourceSchema = BackupTesting.schemaOnly(cluster, SOURCE);
        sourceCounts = BackupTesting.rowCounts(cluster, SOURCE);
        s3 = new S3Server(shared.resolve("s3"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) {
            db.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    /** Settings for a fresh bucket; uncompressed, so that an unencrypted copy would show the canary. */
    private BackupConfig.Builder config(String bucket) throws IOException {
        s3.createBucket(bucket);
        return BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "local-" + bucket)).compression(false)
                .remote(RemoteLocation.parse("s3://" + bucket + "/backups")).remoteEndpoint(s3.endpoint()).remotePathStyle(true);
    }

    private static String bucket() {
        return "fortress-" + (++buckets);
    }

    private Path keyFile(String name) throws IOException {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Path f = tmp.resolve(name);
        Files.writeString(f, HexFormat.of().formatHex(key) + "\n");
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private Path newKey() throws IOException {
        return keyFile("key-" + UUID.randomUUID());
    }

    private static List<Path> bucketFiles(String bucket) throws IOException {
        try (Stream<Path> files = Files.walk(s3.dir().resolve(bucket))) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private static boolean anyFileContains(String bucket, String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        for (Path f : bucketFiles(bucket)) {
            String hay = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            if (hay.contains(new String(needle, StandardCharsets.ISO_8859_1))) {
                return true;
            }
        }
        return false;
    }

    private static void deleteLocal(BackupManager manager) {
        manager.listBackups().forEach(b -> BackupFiles.deleteQuietly(b.path()));
        manager.listAllBackups().forEach(b -> BackupFiles.deleteQuietly(b.manifestPath()));
    }

    @Test
    void anEncryptedCopyRestoresAloneAndNeverShowsTheDataInTheBucket() throws Exception {
        String bucket = bucket();
        BackupManager manager = BackupManager.create(db, config(bucket).encryptionKeyFile(keyFile("key")).build());

        BackupInfo backup = manager.backup();

        assertThat(backup.manifest().uploaded()).isTrue();
        assertThat(backup.manifest().lifecycle().keyFingerprint()).hasSize(16);
        assertThat(manager.pendingUploads()).isEmpty();
        assertThat(manager.listRemoteBackups()).extracting(BackupInfo::id).containsExactly(backup.id());
        assertThat(anyFileContains(bucket, CANARY)).as("canary in the bucket's files").isFalse();
        assertThat(anyFileContains(bucket, "CREATE TABLE")).as("DDL in the bucket's files").isFalse();

        deleteLocal(manager);
        assertThat(manager.listBackups()).isEmpty();
        String target = "remote_restored";
        manager.restoreRemote(backup.id(), RestoreOptions.builder().targetDatabase(target).build(), ProgressListener.NONE);

        assertThat(BackupTesting.schemaOnly(CLUSTER.cluster(), target)).isEqualTo(sourceSchema);
        assertThat(BackupTesting.rowCounts(CLUSTER.cluster(), target)).isEqualTo(sourceCounts);
        assertThat(manager.verifyRemote(backup.id(), VerifyLevel.RESTORE_DRILL, ProgressListener.NONE).passed()).isTrue();
        try (Stream<Path> left = Files.list(manager.config().backupDir())) {
            assertThat(left).as("downloads are removed").noneMatch(p -> p.getFileName().toString().startsWith(".remote-"));
        }
    }

    @Test
    void withoutAKeyTheCanaryIsInTheBucket() throws Exception {
        // the control of the test above: the search finds the data when nothing hides it
        String bucket = bucket();
        BackupManager manager = BackupManager.create(db, config(bucket).remoteAllowPlaintext(true).build());
        BackupInfo backup = manager.backup();
        assertThat(backup.manifest().lifecycle().keyFingerprint()).isNull();
        assertThat(anyFileContains(bucket, CANARY)).isTrue();
    }

    @Test
    void aFlippedBitOrACutOffObjectFailsVerification() throws Exception {
        String bucket = bucket();
        BackupManager manager = BackupManager.create(db, config(bucket).encryptionKeyFile(keyFile("key")).build());
        BackupInfo backup = manager.backup();
        Path archive = bucketFiles(bucket).stream().filter(p -> p.getFileName().toString().equals(backup.manifest().files().archive()))
                .findFirst().orElseThrow();

        try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x01);
        }
        assertThatThrownBy(() -> manager.verifyRemote(backup.id(), VerifyLevel.CHECKSUMS, ProgressListener.NONE))
                .isInstanceOf(BackupVerificationException.class).hasMessageContaining("fails authentication");

        try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
            f.setLength(f.length() - 100);
        }
        assertThatThrownBy(() -> manager.verifyRemote(backup.id(), VerifyLevel.CHECKSUMS, ProgressListener.NONE))
                .isInstanceOf(BackupVerificationException.class).hasMessageContaining(backup.manifest().files().archive());
    }

    @Test
    void aManifestMovedToAnotherCopyOrAPlaintextReplacementIsRefused() throws Exception {
        String bucket = bucket();
        BackupManager manager = BackupManager.create(db, config(bucket).encryptionKeyFile(keyFile("key")).build());
        BackupInfo first = manager.backup();
        Thread.sleep(1100); // ids are per second
        BackupInfo second = manager.backup();
        String firstManifest = "backups/" + SOURCE + "/" + first.id() + "/" + first.id() + BackupStore.MANIFEST_SUFFIX;
        String secondManifest = "backups/" + SOURCE + "/" + second.id() + "/" + second.id() + BackupStore.MANIFEST_SUFFIX;
        try (S3Client client = s3.client()) {
            // the first copy's (authentic) manifest put in the second copy's place
            byte[] moved = client.getObjectAsBytes(b -> b.bucket(bucket).key(firstManifest)).asByteArray();
            client.putObject(b -> b.bucket(bucket).key(secondManifest), software.amazon.awssdk.core.sync.RequestBody.fromBytes(moved));
        }
        assertThat(manager.listRemoteBackups()).extracting(BackupInfo::id).containsExactly(first.id());
        assertThatThrownBy(() -> manager.verifyRemote(second.id(), VerifyLevel.CHECKSUMS, ProgressListener.NONE))
                .hasMessageContaining("fails authentication");

        try (S3Client client = s3.client()) {
            // a plaintext manifest (as an attacker could write one) where an encrypted one was
            byte[] plain = ManifestJson.write(first.manifest());
            client.putObject(b -> b.bucket(bucket).key(firstManifest), software.amazon.awssdk.core.sync.RequestBody.fromBytes(plain));
        }
        assertThat(manager.listRemoteBackups()).isEmpty();
        assertThatThrownBy(() -> manager.verifyRemote(first.id(), VerifyLevel.CHECKSUMS, ProgressListener.NONE))
                .hasMessageContaining("is not encrypted, but encryption keys are configured");
    }

    @Test
    void aManifestThatFailsAuthenticationIsListedAsUnreadableCountedByTheMeterAndKeptByRetention() throws Exception {
        // an attacker hides the newest copy (to roll the repository back) by damaging its manifest
        String bucket = bucket();
        BackupConfig config = config(bucket).encryptionKeyFile(keyFile("key")).remoteMinKeep(1).remoteRetentionDays(1).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BackupManager manager = BackupManager.builder(db, config).meterRegistry(registry).build();
        BackupInfo older = manager.backup();
        Thread.sleep(1100); // ids are per second
        BackupInfo newer = manager.backup();
        Path manifest = bucketFiles(bucket).stream()
                .filter(p -> p.getFileName().toString().equals(newer.id() + BackupStore.MANIFEST_SUFFIX)).findFirst().orElseThrow();
        try (RandomAccessFile f = new RandomAccessFile(manifest.toFile(), "rw")) {
            f.seek(f.length() - 20);
            int b = f.read();
            f.seek(f.length() - 20);
            f.write(b ^ 0x01);
        }

        RemoteCopies copies = manager.listRemoteCopies();
        assertThat(copies.readable()).extracting(BackupInfo::id).containsExactly(older.id());
        assertThat(copies.unreadable()).singleElement().satisfies(u -> {
            assertThat(u.id()).isEqualTo(newer.id());
            assertThat(u.reason()).contains("fails authentication");
        });
        assertThat(registry.get("fortress.backup.remote.unreadable").gauge().value()).isEqualTo(1.0);

        BackupManager later = BackupManager.builder(db, config).clock(Clock.offset(Clock.systemUTC(), Duration.ofDays(3))).build();
        RetentionPlan plan = later.cleanupRemote();
        assertThat(plan.unreadable()).extracting(RemoteCopies.Unreadable::id).containsExactly(newer.id());
        assertThat(plan.describe()).contains("keep " + newer.id() + " (unreadable): its manifest cannot be read or authenticated");
        assertThat(plan.toJson()).contains("\"unreadable\"").contains(newer.id());
        assertThat(plan.deleted()).as("the one readable copy is the newest good one").isEmpty();
        assertThat(bucketFiles(bucket)).as("the unreadable copy's objects stay").anyMatch(p -> p.toString().contains(newer.id()));
        assertThat(later.listRemoteCopies().unreadable()).hasSize(1);
        assertThatThrownBy(() -> later.restoreRemote("../" + newer.id(), RestoreOptions.defaults(), ProgressListener.NONE))
                .isInstanceOf(BackupException.class).hasMessageContaining("'../" + newer.id() + "' is not a backup id");
    }

    @Test
    void aRunKilledMidUploadLeavesNothingListedAndTheNextRunCleansUp() throws Exception {
        String bucket = bucket();
        BackupConfig config = config(bucket).encryptionKeyFile(keyFile("key")).build();
        try (S3Store real = new S3Store(config)) {
            RemoteStore dying = new DyingStore(real);
            BackupManager killed = BackupManager.builder(db, config).remoteStore(dying).build();
            assertThatThrownBy(killed::backup).isInstanceOf(Killed.class);
        }
        // what a killed run leaves: the archive stored, its manifest not; and an unfinished multipart upload
        try (S3Client client = s3.client()) {
            client.createMultipartUpload(b -> b.bucket(bucket).key("backups/" + SOURCE + "/x/part"));
            assertThat(client.listMultipartUploads(b -> b.bucket(bucket)).uploads()).hasSize(1);
        }
        assertThat(bucketFiles(bucket)).isNotEmpty();

        BackupManager next = BackupManager.create(db, config);
        assertThat(next.listRemoteBackups()).isEmpty();
        assertThat(next.pendingUploads()).hasSize(1); // the killed run's backup is complete locally

        List<BackupInfo> copied = next.uploadPending();

        assertThat(copied).hasSize(1);
        assertThat(next.listRemoteBackups()).extracting(BackupInfo::id).containsExactly(copied.get(0).id());
        try (S3Client client = s3.client()) {
            assertThat(client.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
            List<String> keys = client.listObjectsV2(b -> b.bucket(bucket)).contents().stream().map(o -> o.key()).toList();
            assertThat(keys).allMatch(k -> k.startsWith("backups/" + SOURCE + "/" + copied.get(0).id() + "/"));
        }
    }

    @Test
    void aRepositoryThatIsDownLeavesTheBackupPendingAndRetentionKeepsIt() throws Exception {
        String bucket = bucket();
        BackupConfig config = config(bucket).remoteAllowPlaintext(true).minKeep(1).retentionDays(1).remoteMinKeep(1).remoteRetentionDays(1).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BackupManager manager = BackupManager.builder(db, config).meterRegistry(registry).build();
        BackupInfo first;
        BackupInfo second;
        s3.stop();
        try {
            first = manager.backup();
            Thread.sleep(1100); // ids are per second
            second = manager.backup();
        } finally {
            s3.start();
        }
        assertThat(first.status()).isEqualTo(BackupStatus.VERIFIED);
        assertThat(manager.pendingUploads()).extracting(BackupInfo::id).containsExactly(second.id(), first.id());
        assertThat(registry.get("fortress.backup.remote.pending").gauge().value()).isEqualTo(2.0);
        assertThat(registry.get("fortress.backup.remote.upload.failures").functionCounter().count()).isEqualTo(2.0);

        BackupManager later = BackupManager.builder(db, config).clock(Clock.offset(Clock.systemUTC(), Duration.ofDays(3))).build();
        RetentionPlan beforeUpload = later.cleanupOldBackups();
        assertThat(beforeUpload.deleted()).isEmpty();
        assertThat(beforeUpload.decisions()).filteredOn(d -> d.id().equals(first.id())).singleElement()
                .satisfies(d -> assertThat(d.reasons()).contains("not yet copied to BACKUP_REMOTE"));

        assertThat(manager.uploadPending()).hasSize(2);
        assertThat(registry.get("fortress.backup.remote.pending").gauge().value()).isEqualTo(0.0);
        assertThat(registry.get("fortress.backup.remote.upload").functionCounter().count()).isPositive();

        assertThat(later.cleanupOldBackups().deleted()).extracting(BackupInfo::id).containsExactly(first.id());
        RetentionPlan dry = later.planRemoteCleanup();
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.decisions().stream().filter(RetentionPlan.Decision::delete).map(RetentionPlan.Decision::id)).containsExactly(first.id());
        assertThat(later.listRemoteBackups()).hasSize(2);
        later.cleanupRemote();
        assertThat(later.listRemoteBackups()).extracting(BackupInfo::id).containsExactly(second.id());
    }

    @Test
    void oldCopiesStayReadableAfterAKeyRotationAndAMissingKeyIsNamed() throws Exception {
        String bucket = bucket();
        Path oldKey = keyFile("old");
        Path newKey = keyFile("new");
        BackupConfig.Builder base = config(bucket);
        BackupInfo old = BackupManager.create(db, base.encryptionKeyFile(oldKey).build()).backup();

        BackupManager rotatedWithoutOld = BackupManager.create(db, base.encryptionKeyFile(newKey).encryptionOldKeyFiles(List.of()).build());
        assertThatThrownBy(() -> rotatedWithoutOld.verifyRemote(old.id(), VerifyLevel.CHECKSUMS, ProgressListener.NONE))
                .hasMessageContaining(old.manifest().lifecycle().keyFingerprint()).hasMessageContaining("BACKUP_ENCRYPTION_OLD_KEY_FILES")
                .hasMessageNotContaining(Files.readString(oldKey).strip()).hasMessageNotContaining(Files.readString(newKey).strip());

        BackupManager rotated = BackupManager.create(db, base.encryptionKeyFile(newKey).encryptionOldKeyFiles(List.of(oldKey)).build());
        assertThat(rotated.verifyRemote(old.id(), VerifyLevel.FULL_READ, ProgressListener.NONE).passed()).isTrue();
        BackupInfo fresh = rotated.backup();
        assertThat(fresh.manifest().lifecycle().keyFingerprint()).isNotEqualTo(old.manifest().lifecycle().keyFingerprint());
        assertThat(rotated.listRemoteBackups()).extracting(BackupInfo::id).containsExactly(fresh.id(), old.id());
    }

    @Test
    void aLargeObjectGoesUpInPartsAndReadsBackIntact() throws Exception {
        String bucket = bucket();
        BackupConfig config = config(bucket).remoteAllowPlaintext(true).build();
        long size = 2L * S3Store.PART_BYTES + 12_345; // three parts, the last one short
        EncryptionKeys.Key key = new EncryptionKeys.Key(new byte[32], EncryptionKeys.fingerprint(new byte[32]));
        java.security.MessageDigest sent = java.security.MessageDigest.getInstance("SHA-256");
        try (S3Store store = new S3Store(config)) {
            InputStream plain = new java.security.DigestInputStream(new RandomStream(size), sent);
            store.put("big", ObjectCipher.encrypting(plain, key, "big"), ObjectCipher.encryptedSize(size));
            try (S3Client client = s3.client()) {
                assertThat(client.headObject(b -> b.bucket(bucket).key("big")).contentLength()).isEqualTo(ObjectCipher.encryptedSize(size));
                assertThat(client.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
            }
            java.security.MessageDigest received = java.security.MessageDigest.getInstance("SHA-256");
            EncryptionKeys keys = EncryptionKeys.none().with(key);
            try (InputStream in = ObjectCipher.decrypting(store.get("big"), keys, "big")) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    received.update(buf, 0, n);
                }
            }
            assertThat(received.digest()).isEqualTo(sent.digest());
        }
    }

    /** Pseudo-random bytes of a given length, made as they are read (nothing held in memory). */
    private static final class RandomStream extends InputStream {
        private final java.util.Random random = new java.util.Random(42);
        private long left;

        RandomStream(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            byte[] chunk = new byte[n];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, b, off, n);
            left -= n;
            return n;
        }
    }

    @Test
    void badRemoteSettingsAreRefusedNamingThem() throws IOException {
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_REMOTE", "s3://key:secret@bucket/p")))
                .hasMessageContaining("BACKUP_REMOTE").hasMessageContaining("credentials").hasMessageNotContaining("secret@");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_REMOTE", "https://bucket"))).hasMessageContaining("s3://");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_ENCRYPTION_KEY_FILE", "/k")))
                .hasMessageContaining("BACKUP_REMOTE");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_REMOTE", "s3://bucket/p")))
                .isInstanceOf(io.fortress.db.api.DbConfigException.class)
                .hasMessageContaining("BACKUP_REMOTE) is set without encryptionKeyFile (BACKUP_ENCRYPTION_KEY_FILE)")
                .hasMessageContaining("BACKUP_REMOTE_ALLOW_PLAINTEXT=true");
        assertThat(BackupConfig.fromEnv(Map.of("BACKUP_REMOTE", "s3://bucket/p", "BACKUP_REMOTE_ALLOW_PLAINTEXT", "true")).remote())
                .isPresent();
        Map<String, String> plain = Map.of("BACKUP_REMOTE", "s3://bucket/p", "BACKUP_REMOTE_ALLOW_PLAINTEXT", "true");
        for (String endpoint : List.of("http://minio.internal:9000", "http://10.0.0.5:9000", "http://[fd00::1]:9000", "http://127.0.0.1.nip.io")) {
            java.util.Map<String, String> env = new java.util.HashMap<>(plain);
            env.put("BACKUP_REMOTE_ENDPOINT", endpoint);
            assertThatThrownBy(() -> BackupConfig.fromEnv(env)).as(endpoint).hasMessageContaining("BACKUP_REMOTE_ENDPOINT")
                    .hasMessageContaining("is not a loopback address").hasMessageContaining("use https://");
        }
        for (String endpoint : List.of("http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000", "https://minio.internal:9000")) {
            java.util.Map<String, String> env = new java.util.HashMap<>(plain);
            env.put("BACKUP_REMOTE_ENDPOINT", endpoint);
            assertThat(BackupConfig.fromEnv(env).remoteEndpoint()).as(endpoint).isPresent();
        }
        Path readable = keyFile("readable");
        Files.setPosixFilePermissions(readable, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> BackupManager.create(db, config(bucket()).encryptionKeyFile(readable).build()))
                .isInstanceOf(io.fortress.db.api.DbConfigException.class)
                .hasMessageContaining("BACKUP_ENCRYPTION_KEY_FILE=" + readable + " may be read by other users (mode rw-r--r--)")
                .hasMessageContaining("chmod 600 " + readable).hasMessageNotContaining(Files.readString(readable).strip());
        Files.setPosixFilePermissions(readable, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> BackupManager.create(db, config(bucket()).encryptionKeyFile(newKey()).encryptionOldKeyFiles(List.of(readable))
                .build())).hasMessageContaining("BACKUP_ENCRYPTION_OLD_KEY_FILES=" + readable + " may be read by its group");
        Path notAKey = tmp.resolve("short");
        Files.writeString(notAKey, "too short");
        Files.setPosixFilePermissions(notAKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> BackupManager.create(db, config(bucket()).encryptionKeyFile(notAKey).build()))
                .hasMessageContaining("BACKUP_ENCRYPTION_KEY_FILE").hasMessageContaining("64 hex digits").hasMessageNotContaining("too short");
    }

    /** Stands in for the process being killed once the archive is stored: nothing after it runs, no clean-up either. */
    private static final class DyingStore implements RemoteStore {
        private final RemoteStore real;

        DyingStore(RemoteStore real) {
            this.real = real;
        }

        @Override
        public void put(String key, InputStream content, long expectedBytes) throws IOException {
            if (key.endsWith(BackupStore.MANIFEST_SUFFIX)) {
                throw new Killed();
            }
            real.put(key, content, expectedBytes);
        }

        @Override
        public InputStream get(String key) throws IOException {
            return real.get(key);
        }

        @Override
        public List<StoredObject> list(String prefix) throws IOException {
            return real.list(prefix);
        }

        @Override
        public void delete(String key) throws IOException {
            real.delete(key);
        }

        @Override
        public int abortUnfinishedUploads(String prefix) throws IOException {
            return real.abortUnfinishedUploads(prefix);
        }

        @Override
        public String describe() {
            return real.describe();
        }

        @Override
        public void close() {
            // the real store is closed by the test
        }
    }

    /** Not an Exception: nothing in the manager catches it, as nothing runs after a kill. */
    private static final class Killed extends Error {
        private static final long serialVersionUID = 1L;

        Killed() {
            super("killed mid-upload");
        }
    }
}
