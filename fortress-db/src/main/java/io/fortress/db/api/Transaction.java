package io.fortress.db.api;

import java.sql.Connection;
import java.util.List;
import java.util.Optional;

/**
 * The statements of one transaction, all on one connection: the primary's for
 * {@link io.fortress.db.Database#inTransaction}, one replica's (read-only, one snapshot) for
 * {@link io.fortress.db.Database#inReadOnlyTransaction}. Valid only inside the callback; the layer commits when the
 * callback returns and rolls back when it throws.
 */
public interface Transaction {
    /** Runs an INSERT, UPDATE, DELETE, DDL or other statement; returns the affected row count. */
    long exec(String sql, Object... params);

    /** Runs a query and maps every row. */
    <T> List<T> query(String sql, RowMapper<T> mapper, Object... params);

    /** Runs a query expected to return at most one row. */
    <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params);

    /** The node this transaction runs on: {@code primary}, {@code replica-1}, ... */
    String node();

    /**
     * The underlying connection, for what this interface does not cover (batches, COPY, large objects).
     * Do not commit, roll back, close it or change its auto-commit mode.
     */
    Connection connection();
}
