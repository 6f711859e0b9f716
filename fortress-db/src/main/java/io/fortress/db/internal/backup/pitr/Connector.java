package io.fortress.db.internal.backup.pitr;

import java.sql.Connection;
import java.sql.SQLException;

/** Opens a superuser connection to the server on a port of this host: the live primary, or a restored server. */
@FunctionalInterface
public interface Connector {
    /** A new connection to the server listening on {@code port}; the caller closes it. */
    Connection open(int port) throws SQLException;
}
