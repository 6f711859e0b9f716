package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Locale;

/**
 * pgbackrest.conf for {@link PgBackRestSettings}. The file holds the repositories' keys, because
 * PostgreSQL's {@code archive_command} reads it with no other way in: it is written 0600, owned by the
 * database's OS user, and replaced atomically. {@link #render(PgBackRestSettings, boolean)} without
 * secrets gives the same text for a person to read, each secret replaced by a comment naming where to put it.
 */
public final class PgBackRestConfigFile {
    private PgBackRestConfigFile() {
    }

    /**
     * The file's text.
     *
     * @param withSecrets false to leave the keys out (for printing); a comment names each missing option
     */
    public static String render(PgBackRestSettings s, boolean withSecrets) {
        StringBuilder out = new StringBuilder("# pgBackRest configuration written by fortress; edits are replaced.\n[global]\n");
        option(out, "lock-path", s.lockPath());
        option(out, "log-path", s.logPath());
        option(out, "spool-path", s.spoolPath());
        // stdout carries command output only (info --output=json); warnings and errors go to stderr
        option(out, "log-level-console", "off");
        option(out, "log-level-stderr", "warn");
        option(out, "log-level-file", "info");
        option(out, "archive-async", yes(s.archiveAsync()));
        option(out, "archive-timeout", seconds(s.archiveTimeout()));
        option(out, "compress-type", s.compressType());
        option(out, "process-max", s.processMax());
        option(out, "start-fast", yes(s.startFast()));
        option(out, "backup-standby", yes(s.backupStandby()));

        LocalRepository local = s.localRepository();
        option(out, "repo1-type", "posix");
        option(out, "repo1-path", local.path());
        option(out, "repo1-retention-full", local.retentionFull());
        local.retentionDiff().ifPresent(d -> option(out, "repo1-retention-diff", d));
        local.cipherPass().ifPresent(pass -> {
            option(out, "repo1-cipher-type", "aes-256-cbc");
            secret(out, "repo1-cipher-pass", pass.reveal(), withSecrets);
        });

        s.s3Repository().ifPresent(s3 -> {
            option(out, "repo2-type", "s3");
            option(out, "repo2-path", s3.path());
            option(out, "repo2-s3-bucket", s3.bucket());
            option(out, "repo2-s3-endpoint", s3.endpoint());
            option(out, "repo2-storage-port", s3.port());
            option(out, "repo2-s3-region", s3.region());
            option(out, "repo2-s3-uri-style", "path");
            s3.caFile().ifPresent(ca -> option(out, "repo2-storage-ca-file", ca));
            secret(out, "repo2-s3-key", s3.accessKey().reveal(), withSecrets);
            secret(out, "repo2-s3-key-secret", s3.secretKey().reveal(), withSecrets);
            option(out, "repo2-retention-full", s3.retentionFull());
            option(out, "repo2-cipher-type", "aes-256-cbc");
            secret(out, "repo2-cipher-pass", s3.cipherPass().reveal(), withSecrets);
        });

        out.append('\n').append('[').append(s.stanza()).append("]\n");
        pg(out, 1, s.primary());
        s.standby().ifPresent(standby -> pg(out, 2, standby));
        return out.toString();
    }

    private static void pg(StringBuilder out, int index, PgInstance pg) {
        option(out, "pg" + index + "-path", pg.dataDirectory());
        option(out, "pg" + index + "-port", pg.port());
        pg.socketPath().ifPresent(p -> option(out, "pg" + index + "-socket-path", p));
        option(out, "pg" + index + "-user", pg.user());
    }

    /**
     * Writes the file (with its keys) and creates the lock, log and spool folders and the local
     * repository, all owned by the OS user that owns the primary's data directory.
     */
    public static void write(PgBackRestSettings s) {
        OsUser user = OsUser.of(s);
        for (Path dir : new Path[] {s.lockPath(), s.logPath(), s.spoolPath(), s.localRepository().path(), s.configFile().getParent()}) {
            createDirectory(dir, user);
        }
        Path file = s.configFile();
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.write(StandardCharsets.UTF_8.encode(render(s, true)));
                channel.force(true);
            }
            user.own(temporary);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new BackupException("cannot write the pgBackRest configuration " + file + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // only a leftover of a failed write
            }
        }
    }

    private static void createDirectory(Path dir, OsUser user) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                user.own(dir);
            }
        } catch (IOException e) {
            throw new BackupException("cannot create " + dir + " for pgBackRest: " + e.getMessage(), e);
        }
    }

    private static void option(StringBuilder out, String name, Object value) {
        out.append(name).append('=').append(value).append('\n');
    }

    private static void secret(StringBuilder out, String name, String value, boolean withSecrets) {
        if (withSecrets) {
            option(out, name, value);
        } else {
            out.append("# ").append(name).append("=<secret: write it here in a 0600 file, or set ")
                    .append(environmentVariable(name)).append(" for every pgbackrest process>\n");
        }
    }

    /** The environment variable pgBackRest reads an option from, e.g. {@code PGBACKREST_REPO2_CIPHER_PASS}. */
    static String environmentVariable(String option) {
        return "PGBACKREST_" + option.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static String yes(boolean value) {
        return value ? "y" : "n";
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }
}
