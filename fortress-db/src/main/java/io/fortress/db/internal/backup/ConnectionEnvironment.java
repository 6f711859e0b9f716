package io.fortress.db.internal.backup;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.Secret;
import io.fortress.db.backup.BackupException;
import io.fortress.db.internal.pool.PasswordSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The libpq environment that points a client tool at the configured server: host, port, user, TLS,
 * application name, and the password through a temporary password file created 0600 (never on the
 * command line). A password with a line break cannot be written to a password file; it goes in the
 * tool's own environment as {@code PGPASSWORD}, which only the same OS user and root can read.
 * {@link #close()} deletes the file; files of a JVM that was killed before it could are deleted by
 * the next JVM that writes one (their names carry the writer's pid).
 */
public final class ConnectionEnvironment implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionEnvironment.class);
    private static final String PREFIX = "fortress-pgpass-";
    private static final Pattern LEFTOVER = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-.*");
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    private final Map<String, String> variables = new HashMap<>();
    private final Path passFile;

    private ConnectionEnvironment(Map<String, String> variables, Path passFile) {
        this.variables.putAll(variables);
        this.passFile = passFile;
    }

    /** The environment for the configured login at {@code primary} (the node writes go to now, not DB_HOST's text). */
    public static ConnectionEnvironment of(DbConfig config, HostAndPort primary) {
        Map<String, String> env = new HashMap<>();
        env.put("PGHOST", primary.host());
        env.put("PGPORT", Integer.toString(primary.port()));
        env.put("PGUSER", config.user());
        env.put("PGSSLMODE", config.sslMode().value());
        config.sslRootCert().ifPresent(f -> env.put("PGSSLROOTCERT", f.toString()));
        config.sslCert().ifPresent(f -> env.put("PGSSLCERT", f.toString()));
        config.sslKey().ifPresent(f -> env.put("PGSSLKEY", f.toString()));
        env.put("PGAPPNAME", config.applicationName() + "-backup");
        env.put("PGCONNECT_TIMEOUT", Long.toString(Math.max(2, config.connectTimeout().toSeconds())));
        Optional<Secret> password = PasswordSource.primary(config).current();
        Path file = null;
        if (password.isPresent() && password.get().reveal().matches("(?s).*[\\r\\n].*")) {
            // a password file cannot hold a line break; the child's own environment is the other private channel
            env.put("PGPASSWORD", password.get().reveal());
        } else if (password.isPresent()) {
            file = writePassFile(password.get());
            env.put("PGPASSFILE", file.toString());
        }
        return new ConnectionEnvironment(env, file);
    }

    /** The variables to add to a tool's environment. */
    public Map<String, String> variables() {
        return Map.copyOf(variables);
    }

    /** Any host, port and database, this user: the tools connect to several databases (scratch, new targets). */
    private static Path writePassFile(Secret password) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        if (SWEPT.compareAndSet(false, true)) {
            sweepLeftovers(tmp);
        }
        try {
            Path file = Files.createTempFile(tmp, PREFIX + ProcessHandle.current().pid() + "-", "",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            file.toFile().deleteOnExit();
            Files.writeString(file, "*:*:*:*:" + escape(password.reveal()) + "\n", StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new BackupException("cannot write a temporary password file for the client tools in "
                    + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes password files in {@code dir} whose writer (the pid in the name) is no longer running:
     * left by a JVM killed mid-backup. A file whose pid runs again (reused) is left; so are other users' files.
     *
     * @return the files deleted
     */
    public static List<Path> sweepLeftovers(Path dir) {
        List<Path> deleted = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path file : files) {
                Matcher m = LEFTOVER.matcher(file.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !Files.isWritable(file)) {
                    continue;
                }
                long pid = Long.parseLong(m.group(1));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                if (Files.deleteIfExists(file)) {
                    deleted.add(file);
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("could not sweep left-over password files in {}: {}", dir, e.toString());
        }
        if (!deleted.isEmpty()) {
            LOG.info("deleted {} password file(s) left in {} by fortress processes that ended without removing them", deleted.size(), dir);
        }
        return deleted;
    }

    /** .pgpass fields escape {@code \} and {@code :} with a backslash. */
    public static String escape(String field) {
        return field.replace("\\", "\\\\").replace(":", "\\:");
    }

    @Override
    public void close() {
        if (passFile != null) {
            try {
                Files.deleteIfExists(passFile);
            } catch (IOException ignored) {
                // deleteOnExit remains as a fallback
            }
        }
    }
}
