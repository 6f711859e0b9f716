package io.fortress.db.backup;

import io.fortress.db.DbConfig;
import io.fortress.db.HostAndPort;
import io.fortress.db.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The libpq environment that points a client tool at the configured server: host, port, user, TLS,
 * application name, and the password through a temporary password file created 0600 (never on the
 * command line). A password with a line break cannot be written to a password file; it goes in the
 * tool's own environment as {@code PGPASSWORD}, which only the same OS user and root can read.
 * {@link #close()} deletes the file.
 */
final class ConnectionEnvironment implements AutoCloseable {
    private final Map<String, String> variables = new HashMap<>();
    private final Path passFile;

    private ConnectionEnvironment(Map<String, String> variables, Path passFile) {
        this.variables.putAll(variables);
        this.passFile = passFile;
    }

    /** The environment for the configured login at {@code primary} (the node writes go to now, not DB_HOST's text). */
    static ConnectionEnvironment of(DbConfig config, HostAndPort primary) {
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
        Optional<Secret> password = config.passwordSource().current();
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
    Map<String, String> variables() {
        return Map.copyOf(variables);
    }

    /** Any host, port and database, this user: the tools connect to several databases (scratch, new targets). */
    private static Path writePassFile(Secret password) {
        try {
            Path file = Files.createTempFile("fortress-pgpass-", "",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            file.toFile().deleteOnExit();
            Files.writeString(file, "*:*:*:*:" + escape(password.reveal()) + "\n", StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new BackupException("cannot write a temporary password file for the client tools in "
                    + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
        }
    }

    /** .pgpass fields escape {@code \} and {@code :} with a backslash. */
    static String escape(String field) {
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
