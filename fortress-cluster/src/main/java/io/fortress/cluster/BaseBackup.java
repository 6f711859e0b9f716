package io.fortress.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;

/**
 * Makes a replica's data directory from the running primary with the low-level backup API and a file copy, so that
 * the server binaries alone suffice (no pg_basebackup needed). A replication slot reserved first keeps the WAL the
 * replica will stream.
 */
final class BaseBackup {
    /** Entries of a data directory a base backup leaves out (their contents, for folders). */
    private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "backup_label.old", "tablespace_map", "standby.signal", "recovery.signal", ServerConfig.NODE_CONFIG);
    private static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");

    private BaseBackup() {
    }

    /** Copies the running primary into the replica's data directory, which then starts as a standby. */
    static void createReplica(Node primary, Node replica, int majorVersion, ServerUser serverUser) {
        String slot = ServerConfig.slotName(replica);
        boolean modernApi = majorVersion >= 15;
        try (Connection c = primary.connect(); Statement s = c.createStatement()) {
            // Reserving WAL now guarantees the primary keeps everything the copy will need to stream.
            s.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
            s.execute(modernApi ? "SELECT pg_backup_start('fortress " + replica.name() + "', true)"
                    : "SELECT pg_start_backup('fortress " + replica.name() + "', true, false)");
            copyDataDirectory(primary.dataDirectory(), replica.dataDirectory());
            String labelFile;
            try (ResultSet rs = s.executeQuery(modernApi ? "SELECT labelfile FROM pg_backup_stop(false)"
                    : "SELECT labelfile FROM pg_stop_backup(false, false)")) {
                rs.next();
                labelFile = rs.getString(1);
            }
            Files.writeString(replica.dataDirectory().resolve("backup_label"), labelFile, StandardCharsets.UTF_8);
            Files.writeString(replica.dataDirectory().resolve("standby.signal"), "", StandardCharsets.UTF_8);
            serverUser.ownTree(replica.dataDirectory());
        } catch (SQLException | IOException e) {
            throw new ClusterException("cannot create " + replica.name() + " from a base backup of the primary: " + e.getMessage(), e);
        }
    }

    private static void copyDataDirectory(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path relative = source.relativize(dir);
                Path copy = target.resolve(relative.toString());
                Files.createDirectories(copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwx------"));
                if (relative.getNameCount() == 1 && EMPTIED_DIRECTORIES.contains(relative.toString())) {
                    if (relative.toString().equals("pg_wal")) {
                        Files.createDirectories(copy.resolve("archive_status"));
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return dir.getFileName().toString().startsWith("pgsql_tmp") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path relative = source.relativize(file);
                if (relative.getNameCount() == 1 && SKIPPED_FILES.contains(relative.toString())) {
                    return FileVisitResult.CONTINUE;
                }
                try {
                    Files.copy(file, target.resolve(relative.toString()), StandardCopyOption.COPY_ATTRIBUTES);
                } catch (NoSuchFileException vanished) {
                    // removed by the running server during the copy; WAL replay makes up for it
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }
}
