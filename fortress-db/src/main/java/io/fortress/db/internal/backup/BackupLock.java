package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInProgressException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The per-database backup lock: an OS file lock on {@code .<database>.lock} in the backup folder,
 * so two backups of one database cannot run together, whether in this JVM, another JVM, or
 * another {@code fortress} process. The OS releases it when the holder dies, so a killed run never
 * leaves a stale lock. The file records who holds it, for messages.
 */
public final class BackupLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private BackupLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock without waiting, or empty when someone holds it. */
    public static java.util.Optional<BackupLock> tryAcquire(Path dir, String database, String purpose) {
        Path file = file(dir, database);
        FileChannel channel = null;
        try {
            // a link planted in place of the lock file must not make fortress truncate and write the file it points to
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException heldInThisJvm) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                return java.util.Optional.empty();
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((purpose + " by pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n")
                    .getBytes(StandardCharsets.UTF_8)), 0);
            return java.util.Optional.of(new BackupLock(channel, lock));
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // reported below
                }
            }
            throw new BackupException("cannot open the backup lock file " + file + ": " + e.getMessage()
                    + (java.nio.file.Files.isSymbolicLink(file) ? " (it is a symbolic link, which is not followed; remove it)" : ""), e);
        }
    }

    /**
     * Takes the lock without waiting.
     *
     * @throws BackupInProgressException naming who holds it
     */
    public static BackupLock acquire(Path dir, String database, String purpose) {
        return tryAcquire(dir, database, purpose).orElseThrow(() -> new BackupInProgressException("another backup of database "
                + database + " is running (" + holder(dir, database) + "); wait for it to finish"));
    }

    /** Who holds the lock of a database, as its holder wrote it; empty when unknown. */
    public static String holder(Path dir, String database) {
        try {
            Path file = file(dir, database);
            return java.nio.file.Files.isSymbolicLink(file) ? "" : java.nio.file.Files.readString(file).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static Path file(Path dir, String database) {
        return dir.resolve("." + BackupStore.filePrefix(database) + ".lock");
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // closing the channel releases the lock in any case
        }
    }
}
