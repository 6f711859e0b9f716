package io.fortress.db.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files that hold a secret (encryption keys, tokens) must be readable by their owner only, as ssh
 * insists for private keys: a key other local users can read protects nothing.
 */
public final class SecretFiles {
    private SecretFiles() {
    }

    /**
     * Refuses a secret file its group or others may read (or write).
     *
     * @param variable the setting naming the file, for the message
     * @throws DbConfigException naming the file, its mode and the chmod that fixes it; a file that
     *         cannot be read is left to the caller, which reports it with its own context
     */
    public static void requirePrivate(Path file, String variable) {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException | IOException e) {
            return;
        }
        boolean others = mode.contains(PosixFilePermission.OTHERS_READ) || mode.contains(PosixFilePermission.OTHERS_WRITE);
        boolean group = mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.GROUP_WRITE);
        if (others || group) {
            throw new DbConfigException(variable + "=" + file + " may be read by " + (others ? "other users" : "its group") + " (mode "
                    + PosixFilePermissions.toString(mode) + "), so the secret in it is not one; run: chmod 600 " + file);
        }
    }
}
