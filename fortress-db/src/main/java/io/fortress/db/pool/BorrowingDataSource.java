package io.fortress.db.pool;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** A plain DataSource whose connections come from the routed pools, for JdbcTemplate, jOOQ, MyBatis or JPA. */
final class BorrowingDataSource implements DataSource {
    @FunctionalInterface
    interface Borrower {
        Connection borrow() throws SQLException;
    }

    private final String name;
    private final Borrower borrower;

    BorrowingDataSource(String name, Borrower borrower) {
        this.name = name;
        this.borrower = borrower;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return borrower.borrow();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the fortress " + name + " DataSource logs in with its configured user");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // nothing to log to
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // the pools' connectTimeout applies
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper of " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    @Override
    public String toString() {
        return "fortress " + name + " DataSource";
    }
}
