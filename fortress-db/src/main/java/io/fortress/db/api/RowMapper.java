package io.fortress.db.api;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns the current row of a result set into a value. Called once per row; must not move the cursor.
 *
 * @param <T> the row's Java type
 */
@FunctionalInterface
public interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;

    /** The value of one column, by position (from 1), converted by the driver to {@code type}. */
    static <T> RowMapper<T> column(int index, Class<T> type) {
        return row -> row.getObject(index, type);
    }

    /** The value of one column, by label, converted by the driver to {@code type}. */
    static <T> RowMapper<T> column(String label, Class<T> type) {
        return row -> row.getObject(label, type);
    }

    /** The first column as a long (SQL NULL is refused: use {@code column(1, Long.class)} to allow it). */
    static RowMapper<Long> firstLong() {
        return row -> {
            long value = row.getLong(1);
            if (row.wasNull()) {
                throw new SQLException("the first column is NULL; map it with RowMapper.column(1, Long.class) to allow NULL");
            }
            return value;
        };
    }

    /** The first column as text (null for SQL NULL). */
    static RowMapper<String> firstString() {
        return row -> row.getString(1);
    }

    /** All columns as an insertion-ordered map from column label to value. */
    static RowMapper<Map<String, Object>> columnMap() {
        return row -> {
            ResultSetMetaData meta = row.getMetaData();
            Map<String, Object> values = new LinkedHashMap<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                values.put(meta.getColumnLabel(i), row.getObject(i));
            }
            return values;
        };
    }
}
