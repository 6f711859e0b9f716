package io.fortress.db.backup;

import io.fortress.db.api.DbConfigException;
import io.fortress.db.internal.backup.BackupFiles;
import io.fortress.db.internal.backup.BackupStore;
import io.fortress.db.internal.backup.EncryptionKeys;
import io.fortress.db.internal.backup.ObjectCipher;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Decrypts one object of a remote repository, without a database, a bucket or the rest of
 * fortress's runtime: disaster recovery from a downloaded object (docs/backup.md, "Object format").
 * The object's name is its key below BACKUP_REMOTE's prefix, {@code <database>/<id>/<file>}: the
 * encryption is bound to it.
 */
public final class RemoteObjectDecryptor {
    private RemoteObjectDecryptor() {
    }

    /**
     * Writes the plaintext of {@code object} to {@code out}, authenticated chunk by chunk.
     *
     * @param keyOption names the key file in messages (e.g. {@code --key-file})
     * @throws DbConfigException when the key file is readable by others or holds no key
     * @throws IOException when the object is not fortress's, is encrypted with another key, or fails
     *         authentication (altered, cut off, or read under another name); what was written before
     *         the failing chunk must be discarded
     */
    public static void decrypt(Path object, Path keyFile, String keyOption, String objectName, OutputStream out) throws IOException {
        EncryptionKeys.Key key;
        try {
            key = EncryptionKeys.fromFile(keyFile, keyOption);
        } catch (BackupException e) {
            throw new IOException(e.getMessage(), e);
        }
        InputStream stored;
        try {
            stored = BackupFiles.openNoFollow(object);
        } catch (NoSuchFileException e) {
            throw new IOException("no file " + object);
        }
        try (InputStream in = stored) {
            byte[] header = in.readNBytes(ObjectCipher.HEADER_BYTES);
            if (header.length == ObjectCipher.HEADER_BYTES && ObjectCipher.isEncrypted(header)) {
                String fingerprint = HexFormat.of().formatHex(header, ObjectCipher.MAGIC.length, ObjectCipher.MAGIC.length + 8);
                if (!fingerprint.equals(key.fingerprint())) {
                    throw new IOException(object + " is encrypted with key " + fingerprint + ", but " + keyOption + " " + keyFile
                            + " holds key " + key.fingerprint());
                }
            }
            InputStream again = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(header), in);
            try (InputStream plain = ObjectCipher.decrypting(again, EncryptionKeys.none().with(key), objectName)) {
                plain.transferTo(out);
            } catch (IOException e) {
                throw new IOException(e.getMessage() + (e.getMessage().contains("fails authentication")
                        ? "; the object name must be the object's key below BACKUP_REMOTE's prefix, <database>/<id>/<file>" : ""), e);
            }
        }
    }

    /**
     * Decrypts into a new file, readable by its owner only, written under a temporary name and renamed
     * into place once every chunk authenticated: a failed decryption leaves no output.
     */
    public static void decryptToFile(Path object, Path keyFile, String keyOption, String objectName, Path output) throws IOException {
        if (Files.exists(output, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(output + " exists; name a new file");
        }
        Path partial = BackupStore.partial(output.toAbsolutePath());
        BackupStore.createOwnerOnly(partial, false);
        try {
            try (OutputStream out = Files.newOutputStream(partial)) {
                decrypt(object, keyFile, keyOption, objectName, out);
            }
            BackupFiles.fsync(partial);
            Files.move(partial, output, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            BackupFiles.deleteQuietly(partial);
        }
    }
}
