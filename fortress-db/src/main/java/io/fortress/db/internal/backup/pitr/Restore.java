package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * Restores a stanza into a new, empty data directory, never over a server's: pgBackRest copies the
 * base backup and writes the recovery target, with archiving off ({@code --archive-mode=off}) so that
 * the restored server cannot push WAL of its own timeline into the stanza it came from.
 */
final class Restore {
    private Restore() {
    }

    /**
     * Runs {@code pgbackrest restore} into {@code target}, which must not exist or be empty, and lie outside
     * every data directory of the stanza.
     *
     * @param repository the repository to restore from (1 local, 2 S3); empty lets pgBackRest choose
     */
    static void files(PgBackRest pgbackrest, RestoreTarget restoreTarget, Path target, OptionalInt repository, Duration timeout) {
        PgBackRestSettings s = pgbackrest.settings();
        Checks.path("the restore's target directory", target);
        List<Path> live = new ArrayList<>(List.of(s.primary().dataDirectory()));
        s.standby().ifPresent(st -> live.add(st.dataDirectory()));
        for (Path data : live) {
            if (target.startsWith(data) || data.startsWith(target)) {
                throw new BackupException("refusing to restore into " + target + ": it overlaps the data directory " + data
                        + " of a server of stanza " + s.stanza() + "; restore into a new directory");
            }
        }
        prepare(target, OsUser.of(s));
        List<String> options = new ArrayList<>(List.of("--pg1-path=" + target, "--archive-mode=off"));
        options.addAll(restoreTarget.options());
        repository.ifPresent(r -> options.add("--repo=" + Checks.range("the repository to restore from", r, 1, 2)));
        pgbackrest.run("restore", options, timeout);
    }

    private static void prepare(Path target, OsUser user) {
        try {
            if (Files.exists(target)) {
                if (!Files.isDirectory(target)) {
                    throw new BackupException("refusing to restore into " + target + ": it exists and is not a directory");
                }
                try (Stream<Path> entries = Files.list(target)) {
                    if (entries.findAny().isPresent()) {
                        throw new BackupException("refusing to restore into " + target + ": it is not empty; give a new or empty directory");
                    }
                }
            } else {
                if (target.getParent() == null || !Files.isDirectory(target.getParent())) {
                    throw new BackupException("cannot restore into " + target + ": its parent folder does not exist");
                }
                Files.createDirectory(target);
            }
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
            user.own(target);
        } catch (IOException e) {
            throw new BackupException("cannot prepare " + target + " for the restore: " + e.getMessage(), e);
        }
    }

    /** Deletes a restored data directory: deepest entries first, symbolic links themselves rather than what they point to. */
    static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> entries = Files.walk(root)) {
            for (Path entry : entries.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(entry);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new BackupException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
