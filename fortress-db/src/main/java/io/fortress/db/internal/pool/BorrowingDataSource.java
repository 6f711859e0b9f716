package io.fortress.db.internal.pool;

import java.sql.Connection;
import java.sql.SQLException;

/** A plain DataSource whose connections come from the routed pools, for JdbcTemplate, jOOQ, MyBatis or JPA. */
final class BorrowingDataSource extends BaseDataSource {
    @FunctionalInterface
    interface Borrower {
        Connection borrow() throws SQLException;
    }

    private final Borrower borrower;

    BorrowingDataSource(String name, Borrower borrower) {
        super("fortress " + name + " DataSource");
        this.borrower = borrower;
    }

    @Override
    public Connection getConnection() throws SQLException {
        try {
            return borrower.borrow();
        } catch (io.fortress.db.api.DatabaseException e) {
            // a DataSource reports failures as SQLException, whatever the layer's own API does
            throw new SQLException(e.getMessage(), e.sqlState() == null ? "08001" : e.sqlState(), e);
        }
    }
}
