package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import io.fortress.db.api.Secret;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/** The libpq password file (PGPASSFILE) pgBackRest logs in with: 0600, owned by the database's OS user, any host and database. */
public final class PassFile {
    private PassFile() {
    }

    /**
     * Writes {@code file} (replacing it atomically) with the password for {@code user}, owned by the OS user pgBackRest runs as.
     *
     * @throws BackupException when the password holds a line break (a password file cannot hold one) or the file cannot be written
     */
    public static void write(Path file, String user, Secret password, PgBackRestSettings settings) {
        if (password.reveal().matches("(?s).*[\\r\\n].*")) {
            throw new BackupException("the database password holds a line break, which a libpq password file (PGPASSFILE) cannot hold; "
                    + "pgBackRest could not log in");
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.write(StandardCharsets.UTF_8.encode("*:*:*:" + escape(user) + ":" + escape(password.reveal()) + "\n"));
                channel.force(true);
            }
            OsUser.of(settings).own(temporary);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new BackupException("cannot write the password file " + file + " for pgBackRest: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // only a leftover of a failed write
            }
        }
    }

    private static String escape(String field) {
        return field.replace("\\", "\\\\").replace(":", "\\:");
    }
}
