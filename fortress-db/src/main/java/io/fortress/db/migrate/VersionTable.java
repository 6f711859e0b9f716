package io.fortress.db.migrate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * golang-migrate's version table, read and written exactly as golang-migrate does: one row
 * {@code (version bigint, dirty boolean)} or none (the nil version, -1); the row {@code (-1, true)}
 * is legal (a failed first down). Writes replace the row inside the caller's transaction.
 */
final class VersionTable {
    private VersionTable() {
    }

    /** golang-migrate's DDL, byte for byte apart from the names. */
    static String createStatement(TableNames names) {
        return "CREATE TABLE IF NOT EXISTS " + names.qualifiedTable() + " (version bigint not null primary key, dirty boolean not null)";
    }

    static boolean schemaExists(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    static boolean tableExists(Connection c, String schema, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM pg_catalog.pg_class r JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace "
                        + "WHERE n.nspname = ? AND r.relname = ? AND r.relkind IN ('r', 'p')")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * The version and dirty flag of the existing table; {@code (-1, false)} when it is empty.
     *
     * @throws MigrationException when the table holds more than one row
     */
    static MigrationVersion read(Connection c, TableNames names) throws SQLException {
        List<MigrationVersion> rows = rows(c, names);
        if (rows.size() > 1) {
            throw new MigrationException(names.display() + " holds more than one row (versions " + rows.get(0).version() + " and "
                    + rows.get(1).version() + (rows.size() > 2 ? ", ..." : "") + "); golang-migrate and fortress keep zero or one row, "
                    + "and golang-migrate would pick one at random. Find the version the schema matches and call force(version) "
                    + "(fortress migrate force <version>), which replaces every row with that one");
        }
        return rows.isEmpty() ? MigrationVersion.NIL : rows.get(0);
    }

    /** Up to three rows of the existing table, lowest version first: {@link #read} refuses more than one, force replaces them. */
    static List<MigrationVersion> rows(Connection c, TableNames names) throws SQLException {
        List<MigrationVersion> rows = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version, dirty FROM " + names.qualifiedTable() + " ORDER BY version LIMIT 3")) {
            while (rs.next()) {
                rows.add(new MigrationVersion(rs.getLong(1), rs.getBoolean(2)));
            }
        }
        return rows;
    }

    /** Creates the schema when missing, then the table when missing (so a role without CREATE can still read it). */
    static void create(Connection c, TableNames names) throws SQLException {
        try (Statement st = c.createStatement()) {
            if (!schemaExists(c, names.schema())) {
                st.execute("CREATE SCHEMA " + names.quotedSchema());
            }
            if (!tableExists(c, names.schema(), names.table())) {
                st.execute(createStatement(names));
            }
        }
    }

    /**
     * Replaces the row, as golang-migrate's SetVersion: no row for {@code (-1, false)}, otherwise
     * {@code (version, dirty)}. DELETE rather than golang-migrate's TRUNCATE, which readers cannot
     * tell apart, so golang-migrate's {@code version} is not blocked by a long migration's transaction.
     */
    static void write(Connection c, TableNames names, long version, boolean dirty) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM " + names.qualifiedTable());
        }
        if (version >= 0 || (version == -1 && dirty)) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + names.qualifiedTable() + " (version, dirty) VALUES (?, ?)")) {
                ps.setLong(1, version);
                ps.setBoolean(2, dirty);
                ps.executeUpdate();
            }
        }
    }
}
