package io.fortress.db.internal.pool;

import io.fortress.db.api.DatabaseException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

/**
 * Supplies the password for each new connection: a fixed secret, the content of a file (re-read when
 * the file changes, so a rotated secret takes effect without a restart), or none.
 */
public abstract sealed class PasswordSource permits PasswordSource.Fixed, PasswordSource.FromFile, PasswordSource.None {

    /** Where the primary's password comes from: a literal, a file re-read for new connections, or none. */
    public static PasswordSource primary(DbConfig config) {
        return of(config.get(DbSettings.PASSWORD), config.get(DbSettings.PASSWORD_FILE));
    }

    /**
     * Where the replicas' password comes from: the replica password settings when given; otherwise the
     * primary's password, unless a separate replica user was named (then none).
     */
    public static PasswordSource replica(DbConfig config) {
        Secret password = config.get(DbSettings.REPLICA_PASSWORD);
        Path file = config.get(DbSettings.REPLICA_PASSWORD_FILE);
        if (password != null || file != null) {
            return of(password, file);
        }
        return config.get(DbSettings.REPLICA_USER) == null ? primary(config) : new None();
    }

    private static PasswordSource of(Secret password, Path file) {
        if (file != null) {
            return new FromFile(file);
        }
        return password == null ? new None() : new Fixed(password);
    }

    /** The password to use now; empty when none is configured. */
    public abstract Optional<Secret> current();

    /** Where the password comes from, for messages (never the password). */
    public abstract String describe();

    @Override
    public String toString() {
        return describe();
    }

    static final class Fixed extends PasswordSource {
        private final Secret secret;

        Fixed(Secret secret) {
            this.secret = secret;
        }

        @Override
        public Optional<Secret> current() {
            return Optional.of(secret);
        }

        @Override
        public String describe() {
            return "a configured password";
        }
    }

    static final class None extends PasswordSource {
        @Override
        public Optional<Secret> current() {
            return Optional.empty();
        }

        @Override
        public String describe() {
            return "no password";
        }
    }

    /** Reads the file again whenever its modification time or size changes; one trailing newline is dropped. */
    static final class FromFile extends PasswordSource {
        private final Path file;
        private FileTime cachedTime;
        private long cachedSize = -1;
        private Secret cached;

        FromFile(Path file) {
            this.file = file;
        }

        @Override
        public synchronized Optional<Secret> current() {
            try {
                FileTime time = Files.getLastModifiedTime(file);
                long size = Files.size(file);
                if (cached == null || !time.equals(cachedTime) || size != cachedSize) {
                    String content = Files.readString(file, StandardCharsets.UTF_8);
                    if (content.endsWith("\r\n")) {
                        content = content.substring(0, content.length() - 2);
                    } else if (content.endsWith("\n")) {
                        content = content.substring(0, content.length() - 1);
                    }
                    cached = Secret.of(content);
                    cachedTime = time;
                    cachedSize = size;
                }
                return Optional.of(cached);
            } catch (IOException e) {
                throw new DatabaseException("cannot read the password file " + file + ": " + e.getClass().getSimpleName()
                        + "; check that it exists and is readable", e);
            }
        }

        @Override
        public String describe() {
            return "password file " + file;
        }
    }
}
