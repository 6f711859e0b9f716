package io.fortress.db.internal.pool;

import io.fortress.db.api.DatabaseException;
import io.fortress.db.api.RowMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Plain JDBC steps shared by statements and transactions. */
final class Jdbc {
    /** set_config, not SET TRANSACTION: outside BEGIN the latter makes the server log a WARNING (25P01) every time. */
    private static final String READ_ONLY_PREFIX = "SELECT set_config('transaction_read_only', 'on', true); ";

    private Jdbc() {
    }

    static PreparedStatement prepare(Connection c, String sql, Object[] params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        try {
            if (params != null) {
                for (int i = 0; i < params.length; i++) {
                    bind(ps, i + 1, params[i]);
                }
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    /**
     * Binds a parameter as setObject would, through the typed setter for the common types: pgjdbc's
     * setObject finds that setter by testing the value against a long list of types on every call.
     */
    private static void bind(PreparedStatement ps, int index, Object value) throws SQLException {
        if (value instanceof Integer v) {
            ps.setInt(index, v);
        } else if (value instanceof Long v) {
            ps.setLong(index, v);
        } else if (value instanceof String v) {
            ps.setString(index, v);
        } else {
            ps.setObject(index, value);
        }
    }

    /** Runs any statement, as Go's Exec does; the affected row count, 0 for statements that return rows or none. */
    static long execute(Connection c, String sql, Object[] params) throws SQLException {
        String timeout = Deadlines.timeoutPrefix();
        try (PreparedStatement ps = prepare(c, timeout + sql, params)) {
            boolean returnedRows = timeout.isEmpty() ? ps.execute() : skipSetConfig(ps);
            return returnedRows ? 0 : Math.max(0, ps.getLargeUpdateCount());
        }
    }

    /** Runs a query and maps every row. */
    static <T> List<T> query(Connection c, String sql, Object[] params, RowMapper<T> mapper) throws SQLException {
        String timeout = Deadlines.timeoutPrefix();
        if (!timeout.isEmpty()) {
            return prefixedQuery(c, timeout, 1, sql, params, mapper);
        }
        try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            return rows(rs, mapper);
        }
    }

    /** Executes a statement whose first part is a set_config, and moves to the statement's own result: true for rows. */
    private static boolean skipSetConfig(PreparedStatement ps) throws SQLException {
        ps.execute(); // set_config's row
        return ps.getMoreResults();
    }

    /**
     * Runs a query in a transaction of its own made read-only first: the driver sends the read-only
     * setting (local to the transaction) and the query in one round trip, which the server runs as one
     * implicit transaction ending at its Sync (a write in it fails with 25006 and no transaction or
     * setting is left). Like {@link #query}, a statement that returns no rows or more than one result
     * is an error.
     */
    static <T> List<T> readOnlyQuery(Connection c, String sql, Object[] params, RowMapper<T> mapper) throws SQLException {
        String timeout = Deadlines.timeoutPrefix();
        return prefixedQuery(c, READ_ONLY_PREFIX + timeout, timeout.isEmpty() ? 1 : 2, sql, params, mapper);
    }

    /**
     * A query after {@code settingCount} set_config statements ({@code settings}) run in the same implicit transaction, in one
     * round trip; their rows are skipped.
     */
    private static <T> List<T> prefixedQuery(Connection c, String settings, int settingCount, String sql, Object[] params,
                                             RowMapper<T> mapper) throws SQLException {
        try (PreparedStatement ps = prepare(c, settings + sql, params)) {
            boolean rowsNext = ps.execute(); // the first set_config's row
            for (int i = 0; i < settingCount && rowsNext; i++) {
                rowsNext = ps.getMoreResults(); // past each set_config's row, to the query's result
            }
            if (!rowsNext) {
                throw new SQLException("No results were returned by the query.", "02000");
            }
            List<T> rows;
            try (ResultSet rs = ps.getResultSet()) {
                rows = rows(rs, mapper);
            }
            if (ps.getMoreResults() || ps.getUpdateCount() != -1) {
                throw new SQLException("Multiple ResultSets were returned by the query.", "0100C");
            }
            return rows;
        }
    }

    private static <T> List<T> rows(ResultSet rs, RowMapper<T> mapper) throws SQLException {
        List<T> rows = new ArrayList<>();
        while (rs.next()) {
            rows.add(mapper.map(rs));
        }
        return rows;
    }

    static <T> Optional<T> atMostOne(List<T> rows, String sql) {
        if (rows.size() > 1) {
            throw new DatabaseException("expected at most one row but got " + rows.size() + " from: " + sql);
        }
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }
}
