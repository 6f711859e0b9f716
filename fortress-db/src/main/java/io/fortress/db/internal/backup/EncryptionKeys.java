package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys of remote copies: the current one, which encrypts, and earlier ones, which only decrypt.
 * A key is known by its fingerprint (16 hex digits of a SHA-256 over a label and the key), which
 * objects and manifests record; the key itself is never printed, logged or put in a message.
 */
public final class EncryptionKeys {
    public static final int KEY_BYTES = 32;

    private final Optional<Key> current;
    private final Map<String, Key> all;

    private EncryptionKeys(Optional<Key> current, Map<String, Key> all) {
        this.current = current;
        this.all = all;
    }

    /** One key and its fingerprint. */
    public record Key(byte[] bytes, String fingerprint) {
        @Override
        public String toString() {
            return "key " + fingerprint;
        }
    }

    public static EncryptionKeys none() {
        return new EncryptionKeys(Optional.empty(), Map.of());
    }

    /** These keys and one more, which becomes the current one. */
    public EncryptionKeys with(Key key) {
        Map<String, Key> more = new LinkedHashMap<>(all);
        more.putIfAbsent(key.fingerprint(), key);
        return new EncryptionKeys(Optional.of(key), more);
    }

    /** Reads the key files of the configuration; a file that cannot be read or holds no key is an error naming its setting. */
    public static EncryptionKeys load(BackupConfig config) {
        Map<String, Key> all = new LinkedHashMap<>();
        Optional<Key> current = config.encryptionKeyFile().map(f -> read(f, "BACKUP_ENCRYPTION_KEY_FILE"));
        current.ifPresent(k -> all.put(k.fingerprint(), k));
        for (Path f : config.encryptionOldKeyFiles()) {
            Key k = read(f, "BACKUP_ENCRYPTION_OLD_KEY_FILES");
            all.putIfAbsent(k.fingerprint(), k);
        }
        return new EncryptionKeys(current, all);
    }

    /** Whether any key is configured (then every object read must be encrypted). */
    public boolean any() {
        return !all.isEmpty();
    }

    /** The key new objects are encrypted with; empty when copies are not encrypted. */
    public Optional<Key> current() {
        return current;
    }

    /** The key with this fingerprint, or an error saying which keys are known and where to list the missing one. */
    public Key forFingerprint(String fingerprint, String what) {
        Key k = all.get(fingerprint);
        if (k == null) {
            throw new BackupException(what + " is encrypted with key " + fingerprint + ", which is not among the keys given ("
                    + (all.isEmpty() ? "none: set BACKUP_ENCRYPTION_KEY_FILE" : String.join(", ", all.keySet()))
                    + "); list the file holding it in BACKUP_ENCRYPTION_KEY_FILE or BACKUP_ENCRYPTION_OLD_KEY_FILES");
        }
        return k;
    }

    /** The key in one file, named {@code setting} in messages (a variable or an option); its mode is checked first. */
    public static Key fromFile(Path file, String setting) {
        return read(file, setting);
    }

    private static Key read(Path file, String setting) {
        io.fortress.db.api.SecretFiles.requirePrivate(file, setting);
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BackupException("cannot read the key file " + file + " (" + setting + "): " + e.getClass().getSimpleName());
        }
        byte[] key = decode(raw);
        if (key == null) {
            throw new BackupException("the key file " + file + " (" + setting + ") holds no 256-bit key: it must hold 64 hex digits, "
                    + "the base64 of 32 bytes, or 32 raw bytes (e.g. made with: openssl rand -hex 32 > " + file.getFileName() + ")");
        }
        return new Key(key, fingerprint(key));
    }

    private static byte[] decode(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1).strip();
        if (text.matches("[0-9a-fA-F]{64}")) {
            return HexFormat.of().parseHex(text);
        }
        try {
            byte[] b = Base64.getDecoder().decode(text);
            if (b.length == KEY_BYTES) {
                return b;
            }
        } catch (IllegalArgumentException notBase64) {
            // try raw bytes
        }
        return raw.length == KEY_BYTES ? raw : null;
    }

    public static String fingerprint(byte[] key) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("fortress backup key fingerprint".getBytes(StandardCharsets.US_ASCII));
            d.update(key);
            return HexFormat.of().formatHex(d.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
