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
        try (PreparedStatement ps = prepare(c, sql, params)) {
            boolean returnedRows = ps.execute();
            return returnedRows ? 0 : Math.max(0, ps.getLargeUpdateCount());
        }
    }

    /** Runs a query and maps every row. */
    static <T> List<T> query(Connection c, String sql, Object[] params, RowMapper<T> mapper) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            List<T> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(mapper.map(rs));
            }
            return rows;
        }
    }

    static <T> Optional<T> atMostOne(List<T> rows, String sql) {
        if (rows.size() > 1) {
            throw new DatabaseException("expected at most one row but got " + rows.size() + " from: " + sql);
        }
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }
}
