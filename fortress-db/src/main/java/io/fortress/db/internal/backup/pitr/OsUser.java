package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The operating-system user pgBackRest and a restored server run as: the owner of the cluster's data
 * directory. pgBackRest must read that directory and write files the server can read, and PostgreSQL
 * refuses to run as root; so when this JVM is root, commands are run through {@code setpriv} as the
 * owner (setpriv replaces itself by the command, so the child's pid is the command's own), and
 * directories made for them are handed to the owner. When this JVM is not root, nothing is wrapped.
 */
final class OsUser {
    private final int uid; // -1 when no switch is needed
    private final int gid;

    private OsUser(int uid, int gid) {
        this.uid = uid;
        this.gid = gid;
    }

    /** The owner of {@code dataDirectory} when this JVM is root; this JVM's own user otherwise. */
    static OsUser ownerOf(Path dataDirectory) {
        if (!isRoot()) {
            return new OsUser(-1, -1);
        }
        try {
            int uid = (Integer) Files.getAttribute(dataDirectory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int gid = (Integer) Files.getAttribute(dataDirectory, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            if (uid == 0) {
                throw new BackupException("the data directory " + dataDirectory + " is owned by root; PostgreSQL and pgBackRest "
                        + "run as the unprivileged user who owns it (e.g. postgres)");
            }
            return new OsUser(uid, gid);
        } catch (IOException e) {
            throw new BackupException("cannot read the owner of the data directory " + dataDirectory + ": " + e.getMessage(), e);
        }
    }

    /**
     * The OS user pgBackRest runs as for these settings: the owner of the primary's data directory, or, when that is gone
     * (a restore after the cluster was lost), the owner of the pgbackrest.conf fortress wrote for it.
     */
    static OsUser of(PgBackRestSettings settings) {
        Path data = settings.primary().dataDirectory();
        if (!Files.exists(data, LinkOption.NOFOLLOW_LINKS) && Files.exists(settings.configFile(), LinkOption.NOFOLLOW_LINKS)) {
            return ownerOf(settings.configFile());
        }
        return ownerOf(data);
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** True when commands run as another user than this JVM's. */
    boolean switches() {
        return uid >= 0;
    }

    /** The command, prefixed so that it runs as this user. */
    List<String> wrap(List<String> command) {
        if (!switches()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Gives a file or directory (not its contents) to this user. */
    void own(Path path) {
        if (!switches()) {
            return;
        }
        try {
            Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new BackupException("cannot give " + path + " to the database's OS user (uid " + uid + "): " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return switches() ? "uid " + uid : System.getProperty("user.name");
    }
}
