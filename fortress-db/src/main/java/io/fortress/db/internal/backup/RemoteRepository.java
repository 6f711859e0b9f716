package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.RemoteCopies;
import io.fortress.db.backup.RemoteLocation;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remote copies of backups, published as local backups are: every file of a backup is stored under
 * {@code <prefix>/<database>/<id>/<its path in the backup folder>}, read back and its SHA-256
 * compared with the manifest's, and the manifest ({@code <id>.manifest.json}) is stored last: a copy
 * exists only once its manifest is there. With a key, every object, the manifest included, is
 * encrypted ({@link ObjectCipher}) for its name below the prefix, so an object moved to another copy
 * fails authentication; with keys configured, an object that is not encrypted is refused (a copy made
 * before encryption was turned on is read with no key set). A manifest must name the copy whose folder
 * holds it, and only files of that backup. Objects of a copy that has no manifest (a run that was killed)
 * and unfinished multipart uploads are swept before each upload run and by remote cleanup.
 */
public final class RemoteRepository implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteRepository.class);

    private final RemoteStore store;
    private final RemoteLocation location;
    private final EncryptionKeys keys;

    public RemoteRepository(RemoteStore store, RemoteLocation location, EncryptionKeys keys) {
        this.store = store;
        this.location = location;
        this.keys = keys;
    }

    public String describe() {
        return store.describe();
    }

    private String databasePrefix(String database) {
        return location.key(database + "/");
    }

    private String idPrefix(String database, String id) {
        return location.key(database + "/" + id + "/");
    }

    private String manifestKey(String database, String id) {
        return idPrefix(database, id) + id + BackupStore.MANIFEST_SUFFIX;
    }

    /** An object's name below the location's prefix ({@code <database>/<id>/<file>}): what its encryption is bound to. */
    private String name(String key) {
        return key.substring(location.key("").length());
    }

    /**
     * Copies a local backup: each file stored, read back and checked against the manifest, then the
     * manifest. Returns the manifest as recorded remotely (with its upload time and key fingerprint).
     *
     * @param uploadedBytes told the stored bytes of each object
     */
    public BackupManifest upload(BackupInfo backup, Path backupDir, Instant now, LongConsumer uploadedBytes) throws IOException {
        BackupManifest m = backup.manifest();
        Optional<EncryptionKeys.Key> key = keys.current();
        for (BackupManifest.FileEntry f : m.files().entries()) {
            String objectKey = idPrefix(m.database(), m.id()) + f.path();
            Path file = backupDir.resolve(f.path());
            try (InputStream plain = BackupFiles.openNoFollow(file)) {
                CountingInputStream stored = new CountingInputStream(key.isPresent()
                        ? ObjectCipher.encrypting(plain, key.get(), name(objectKey)) : plain);
                store.put(objectKey, stored, key.isPresent() ? ObjectCipher.encryptedSize(f.sizeBytes()) : f.sizeBytes());
                uploadedBytes.accept(stored.count);
            }
            String sha = sha256(objectKey, ignored -> { });
            if (!sha.equals(f.sha256())) {
                throw new IOException("the copy of " + f.path() + " in " + store.describe() + " reads back with SHA-256 " + sha
                        + ", not the manifest's " + f.sha256() + "; its manifest was not stored, so the copy does not count");
            }
        }
        BackupManifest remote = m.with(m.lifecycle().withUploaded(now, key.map(EncryptionKeys.Key::fingerprint).orElse(null), location.toString()));
        byte[] json = ManifestJson.write(remote);
        String manifestKey = manifestKey(m.database(), m.id());
        try (InputStream in = key.isPresent() ? ObjectCipher.encrypting(new java.io.ByteArrayInputStream(json), key.get(), name(manifestKey))
                : new java.io.ByteArrayInputStream(json)) {
            store.put(manifestKey, in, json.length);
        }
        // no request checksum guards the PUT: read it back, so that a copy marked uploaded is one that lists
        if (!readManifest(manifestKey, m.database(), m.id()).equals(remote)) {
            throw new IOException("the manifest of " + m.id() + " in " + store.describe() + " does not read back as written");
        }
        return remote;
    }

    /** The copies of a database: with a readable manifest, newest first, and those whose manifest cannot be read. */
    public RemoteCopies list(String database) throws IOException {
        List<BackupInfo> copies = new ArrayList<>();
        List<RemoteCopies.Unreadable> unreadable = new ArrayList<>();
        for (Map.Entry<String, List<RemoteStore.StoredObject>> e : byId(database).entrySet()) {
            String id = e.getKey();
            String manifestKey = manifestKey(database, id);
            if (e.getValue().stream().noneMatch(o -> o.key().equals(manifestKey))) {
                continue;
            }
            try {
                BackupManifest m = readManifest(manifestKey, database, id);
                copies.add(new BackupInfo(Path.of(idPrefix(database, id)), Path.of(manifestKey), m));
            } catch (IOException | RuntimeException failure) {
                LOG.warn("the remote copy {} in {} is unreadable: its manifest cannot be read or authenticated: {}", id, store.describe(),
                        failure.getMessage());
                unreadable.add(new RemoteCopies.Unreadable(id, failure.getMessage()));
            }
        }
        copies.sort(Comparator.comparing(BackupInfo::createdAt).thenComparing(BackupInfo::id).reversed());
        return new RemoteCopies(List.copyOf(copies), List.copyOf(unreadable));
    }

    /** The objects of a database's copies, by backup id. */
    private Map<String, List<RemoteStore.StoredObject>> byId(String database) throws IOException {
        String prefix = databasePrefix(database);
        Map<String, List<RemoteStore.StoredObject>> ids = new LinkedHashMap<>();
        for (RemoteStore.StoredObject o : store.list(prefix)) {
            String rest = o.key().substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash > 0) {
                ids.computeIfAbsent(rest.substring(0, slash), k -> new ArrayList<>()).add(o);
            }
        }
        return ids;
    }

    /** A copy's manifest, checked to be the one of that copy and to name only that backup's files. */
    private BackupManifest readManifest(String key, String database, String id) throws IOException {
        BackupManifest m;
        try (InputStream in = plaintext(key)) {
            m = ManifestJson.read(ObjectCipher.readAll(in), key);
        } catch (BackupException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (m == null || !id.equals(m.id()) || !database.equals(m.database()) || m.files().entries() == null || m.files().archive() == null) {
            throw new IOException("the manifest " + key + " is not the manifest of copy " + id + " of database " + database);
        }
        try {
            ManifestPaths.check(m, key);
        } catch (BackupException | IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        return m;
    }

    /** An object's plaintext: decrypted (and authenticated) when it was encrypted, as stored otherwise. */
    private InputStream plaintext(String key) throws IOException {
        InputStream stored = new java.io.BufferedInputStream(store.get(key), 64 * 1024);
        try {
            stored.mark(ObjectCipher.MAGIC.length);
            byte[] start = stored.readNBytes(ObjectCipher.MAGIC.length);
            stored.reset();
            if (ObjectCipher.isEncrypted(start)) {
                return ObjectCipher.decrypting(stored, keys, name(key));
            }
            if (keys.any()) {
                throw new IOException("object " + key + " is not encrypted, but encryption keys are configured: a copy made before "
                        + "encryption was turned on is read with BACKUP_ENCRYPTION_KEY_FILE and BACKUP_ENCRYPTION_OLD_KEY_FILES unset; "
                        + "otherwise the object was replaced");
            }
            return stored;
        } catch (IOException | RuntimeException e) {
            stored.close();
            throw e;
        }
    }

    private String sha256(String key, IoConsumer<InputStream> sink) throws IOException {
        MessageDigest digest = digest();
        try (InputStream in = new DigestInputStream(plaintext(key), digest)) {
            sink.accept(in);
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Downloads a copy into {@code dir} as a local backup (files, then manifest), each file's SHA-256
     * checked against the manifest on the way.
     *
     * @throws IOException when a file is missing, fails authentication, or does not match the manifest
     */
    public BackupInfo download(String id, Path dir) throws IOException {
        // by id alone, whatever database it is of: a restore connects to a maintenance database
        String suffix = "/" + id + "/" + id + BackupStore.MANIFEST_SUFFIX;
        String manifestKey = store.list(location.key("")).stream().map(RemoteStore.StoredObject::key)
                .filter(k -> k.endsWith(suffix)).findFirst().orElseThrow(() -> new BackupException("no remote copy " + id + " in "
                        + store.describe() + " (see: fortress backup list --remote)"));
        String database = manifestKey.substring(location.key("").length(), manifestKey.length() - suffix.length());
        BackupManifest m = readManifest(manifestKey, database, id);
        for (BackupManifest.FileEntry f : m.files().entries()) {
            Path target = dir.resolve(f.path()).normalize();
            if (!target.startsWith(dir)) {
                throw new IOException("the remote manifest of " + id + " names a file outside its backup: " + f.path());
            }
            Files.createDirectories(target.getParent());
            BackupStore.createOwnerOnly(target, false);
            String objectKey = idPrefix(database, id) + f.path();
            String sha = sha256(objectKey, in -> {
                try (OutputStream out = Files.newOutputStream(target)) {
                    in.transferTo(out);
                }
            });
            if (!sha.equals(f.sha256())) {
                throw new IOException("the remote copy of " + f.path() + " has SHA-256 " + sha + ", not the manifest's " + f.sha256());
            }
        }
        BackupStore local = new BackupStore(dir);
        local.writeManifest(m);
        return local.read(local.manifest(id)).orElseThrow(() -> new IOException("the downloaded copy " + id + " is not readable"));
    }

    /** Deletes a copy: its manifest first, so that a run cut short leaves no listed copy with missing files. */
    public void delete(String database, String id) throws IOException {
        store.delete(manifestKey(database, id));
        for (RemoteStore.StoredObject o : store.list(idPrefix(database, id))) {
            store.delete(o.key());
        }
    }

    /**
     * Removes what interrupted runs left: unfinished multipart uploads and the objects of copies that
     * have no manifest. Call it only while no upload of the database runs (the backup lock is held).
     *
     * @return what was removed, for the log
     */
    public List<String> sweep(String database) throws IOException {
        List<String> removed = new ArrayList<>();
        int aborted = store.abortUnfinishedUploads(databasePrefix(database));
        if (aborted > 0) {
            removed.add(aborted + " unfinished multipart upload(s)");
        }
        for (Map.Entry<String, List<RemoteStore.StoredObject>> e : byId(database).entrySet()) {
            String manifestKey = manifestKey(database, e.getKey());
            if (e.getValue().stream().noneMatch(o -> o.key().equals(manifestKey))) {
                for (RemoteStore.StoredObject o : e.getValue()) {
                    store.delete(o.key());
                    removed.add(o.key());
                }
            }
        }
        return removed;
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface IoConsumer<T> {
        void accept(T t) throws IOException;
    }

    /** Counts the bytes read through it. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
