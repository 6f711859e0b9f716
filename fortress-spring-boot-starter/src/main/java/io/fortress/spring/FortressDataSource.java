package io.fortress.spring;

import io.fortress.db.Database;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The application's one DataSource: in a read-only transaction begun by {@link FortressTransactionManager} or
 * {@link FortressJpaTransactionManager},
 * a connection of one replica chosen by the transaction's consistency; otherwise the primary's, or,
 * with {@code fortress.replica-reads-outside-transactions=true}, a replica's for work outside any
 * transaction (a write there then fails with SQLSTATE 25006, never silently).
 */
public final class FortressDataSource implements DataSource {
    private final Database database;
    private final DataSource primary;
    private final DataSource outside;

    public FortressDataSource(Database database, boolean replicaReadsOutsideTransactions) {
        this.database = database;
        this.primary = database.primaryDataSource();
        this.outside = replicaReadsOutsideTransactions ? database.readDataSource() : primary;
    }

    /** The Database behind this DataSource, for fortress's own API (consistency, statistics, health). */
    public Database database() {
        return database;
    }

    @Override
    public Connection getConnection() throws SQLException {
        FortressRoute route = FortressRoute.current();
        if (route == null) {
            return outside.getConnection();
        }
        return route.readOnly() ? database.readDataSource(route.consistency()).getConnection() : primary.getConnection();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("fortress's pools log in with the configured users; call getConnection()");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // the pools log through SLF4J
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // DB_CONNECT_TIMEOUT applies
    }

    @Override
    public int getLoginTimeout() {
        return (int) database.config().connectTimeout().toSeconds();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("fortress logs through SLF4J");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        if (iface.isInstance(database)) {
            return iface.cast(database);
        }
        throw new SQLException("FortressDataSource is not a " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this) || iface.isInstance(database);
    }

    @Override
    public String toString() {
        return "FortressDataSource[" + database + "]";
    }
}
