package io.fortress.db.internal.backup.pitr;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One PostgreSQL server pgBackRest works with, on this host: pg1 is the primary, pg2 a streaming standby
 * that backups are taken from ({@code backup-standby}).
 *
 * @param dataDirectory the server's data directory ({@code pgN-path})
 * @param port          its port ({@code pgN-port})
 * @param socketPath    its Unix socket directory ({@code pgN-socket-path}); empty to connect over TCP to
 *                      {@link PgBackRestSettings#connectHost()} instead
 * @param user          the role pgBackRest logs in as ({@code pgN-user}), a superuser or a member of pg_read_all_settings with backup rights
 */
public record PgInstance(Path dataDirectory, int port, Optional<Path> socketPath, String user) {
    /** Checks every value; the message names the option. */
    public PgInstance {
        Checks.path("pg-path (the data directory)", dataDirectory);
        Checks.port("pg-port", port);
        socketPath.ifPresent(p -> Checks.path("pg-socket-path", p));
        Checks.role("pg-user", user);
    }

    /** A server reached over TCP (see {@link PgBackRestSettings#connectHost()}). */
    public static PgInstance tcp(Path dataDirectory, int port, String user) {
        return new PgInstance(dataDirectory, port, Optional.empty(), user);
    }
}
