package io.fortress.db.internal.backup;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.backup.BackupException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL a backup needs: the server's version, databases (exists, empty, create, drop), the tables
 * pg_dump writes data for, and their row counts. Connections to the configured database come from
 * the Database's primary pool; other databases (restore targets, drill scratch databases) get
 * short-lived direct connections with the same login and TLS settings.
 */
public final class ServerAccess {

    /** Ordinary tables whose rows pg_dump dumps: not system, temporary or extension-owned. Partitions count one by one. */
    public static final String TABLES_SQL = "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE c.relkind = 'r' AND c.relpersistence <> 't' "
            + "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
            + "AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
            + "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') "
            + "ORDER BY 1, 2";

    private final Primary primary;
    private final DbConfig config;

    public ServerAccess(DbConfig config, Primary primary) {
        this.primary = primary;
        this.config = config;
    }

    /** The primary server as the Database reaches it (the entry point hands it over; internals never reach back). */
    public interface Primary {
        /** Its direct address (behind a pooler, the server's own). */
        HostAndPort primaryServerAddress();

        /** Its address as configured (behind a pooler, PgBouncer's). */
        HostAndPort primaryAddress();

        /** A pooled connection to the configured database. */
        Connection pooled() throws SQLException;

        /** A direct connection to any database of the server, with the configured login. */
        Connection connectTo(String databaseName, String purpose) throws SQLException;
    }

    /** A table and its row count (null when not counted). */
    public record TableRows(String schema, String name, Long rows) {
        String qualified() {
            return quoteIdent(schema) + "." + quoteIdent(name);
        }
    }

    /** Where the tools must connect: the primary server the Database writes to now (behind a pooler, its direct address). */
    public HostAndPort primaryAddress() {
        try {
            return primary.primaryServerAddress();
        } catch (io.fortress.db.api.DatabaseException e) {
            throw new BackupException("cannot back up or restore through PgBouncer: " + e.getMessage(), e);
        }
    }

    /** The primary as the configuration names it (behind a pooler, its PgBouncer), for messages. */
    public HostAndPort displayAddress() {
        return primary.primaryAddress();
    }

    public Connection primary() throws SQLException {
        return primary.pooled();
    }

    public PgVersion serverVersion() {
        try (Connection c = primary(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int, current_setting('server_version')")) {
            rs.next();
            return PgVersion.ofServer(rs.getInt(1), rs.getString(2));
        } catch (SQLException e) {
            throw new BackupException("cannot reach database " + config.database() + " on " + displayAddress() + ": " + e.getMessage(), e);
        }
    }

    public boolean databaseExists(String name) {
        try (Connection c = primary(); PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new BackupException("cannot look up database " + quoteIdent(name) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The number of user objects in a database: schemas other than public, relations, functions and
     * types outside the system schemas. 0 for a database fresh from template0.
     */
    public long userObjects(String name) {
        String sql = "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('public', 'pg_catalog', 'information_schema') "
                + "AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%') "
                + "+ (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%') "
                + "+ (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                + "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')) "
                + "+ (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')";
        try (Connection c = open(name); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new BackupException("cannot inspect database " + quoteIdent(name) + ": " + e.getMessage(), e);
        }
    }

    public boolean schemaExists(String databaseName, String schema) {
        try (Connection c = open(databaseName); PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new BackupException("cannot inspect database " + quoteIdent(databaseName) + ": " + e.getMessage(), e);
        }
    }

    /** CREATE DATABASE from template0, so that local additions to template1 cannot collide with the archive. */
    public void createDatabase(String name) {
        execute("CREATE DATABASE " + quoteIdent(name) + " TEMPLATE template0", "create database " + quoteIdent(name));
    }

    /** Drops a database, ending its sessions first. */
    public void dropDatabase(String name) {
        execute("DROP DATABASE IF EXISTS " + quoteIdent(name) + " WITH (FORCE)", "drop database " + quoteIdent(name));
    }

    private void execute(String sql, String what) {
        try (Connection c = primary(); Statement s = c.createStatement()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            s.execute(sql);
        } catch (SQLException e) {
            throw new BackupException("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    /** Tables of the connection's database as pg_dump sees them, in the connection's current snapshot. */
    public static List<TableRows> tables(Connection c) throws SQLException {
        List<TableRows> tables = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(TABLES_SQL)) {
            while (rs.next()) {
                tables.add(new TableRows(rs.getString(1), rs.getString(2), null));
            }
        }
        return tables;
    }

    /** Exact row counts ({@code ONLY}: children of inheritance are counted on their own). */
    public static List<TableRows> count(Connection c, List<TableRows> tables) throws SQLException {
        List<TableRows> counted = new ArrayList<>();
        try (Statement s = c.createStatement()) {
            for (TableRows t : tables) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM ONLY " + t.qualified())) {
                    rs.next();
                    counted.add(new TableRows(t.schema(), t.name(), rs.getLong(1)));
                }
            }
        }
        return counted;
    }

    /** A direct connection to any database of the primary server, with the configured login; the caller closes it. */
    public Connection open(String databaseName) throws SQLException {
        return primary.connectTo(databaseName, "backup");
    }

    /** A double-quoted SQL identifier. */
    public static String quoteIdent(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** A libpq connection string naming only the database, so any name (spaces, quotes, '=', leading '-') reaches libpq intact. */
    public static String dbnameConninfo(String name) {
        return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
