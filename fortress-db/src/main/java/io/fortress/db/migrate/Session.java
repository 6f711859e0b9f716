package io.fortress.db.migrate;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The one connection a migration run uses: it holds the advisory lock and runs every migration,
 * as golang-migrate's dedicated connection does. Unlike golang-migrate it resets the session after
 * each migration, so a {@code SET} in one file does not leak into the next.
 */
record Session(Connection connection, MigrationConfig config, TableNames names, String database) {
    private static final String CLIENT_INFO = describeClient();

    /** Resolves the schema ({@code current_schema()} when none is configured) and the database name. */
    static Session open(Connection connection, MigrationConfig config) throws SQLException {
        String database;
        String currentSchema;
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT current_database(), current_schema()")) {
            rs.next();
            database = rs.getString(1);
            currentSchema = rs.getString(2);
        }
        String schema = config.schema().orElse(currentSchema);
        if (schema == null) {
            throw new MigrationException("no schema to migrate: current_schema() is null because no schema of the connection's "
                    + "search_path exists; set the schema setting (" + MigrationSettings.SCHEMA.variable() + ") or create the schema");
        }
        return new Session(connection, config, TableNames.of(schema, config), database);
    }

    String clientInfo() {
        return CLIENT_INFO;
    }

    /** The settings every migration starts with: search_path = the schema, the configured statement_timeout. */
    void applyBaseline() throws SQLException {
        execute("SET search_path TO " + names.quotedSchema());
        execute("SET statement_timeout = " + millis(config.statementTimeout()));
        execute("SET lock_timeout = 0");
    }

    /**
     * Undoes what a migration may have changed in the session, keeping the advisory lock (which
     * DISCARD ALL would release): role, every setting, temporary tables, cursors, LISTEN
     * registrations, sequence caches and SQL-level prepared statements (not the driver's own).
     */
    void reset() throws SQLException {
        restoreIdentity();
        execute("RESET ALL");
        execute("CLOSE ALL");
        execute("UNLISTEN *");
        execute("DISCARD TEMP");
        execute("DISCARD SEQUENCES");
        List<String> prepared = new ArrayList<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT name FROM pg_catalog.pg_prepared_statements WHERE from_sql")) {
            while (rs.next()) {
                prepared.add(rs.getString(1));
            }
        }
        for (String name : prepared) {
            execute("DEALLOCATE " + TableNames.quote(name));
        }
    }

    /**
     * Returns to the role that logged in, also inside a transaction: a file's SET ROLE must not change
     * who writes the version and history rows (or fail them for lack of privileges).
     */
    void restoreIdentity() throws SQLException {
        execute("RESET SESSION AUTHORIZATION");
        execute("RESET ROLE");
    }

    /** Runs one statement as written: no JDBC escape processing, results discarded. */
    void execute(String sql) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.setEscapeProcessing(false);
            st.execute(sql);
        }
    }

    /** Sets lock_timeout for the current transaction only. */
    void setLocalLockTimeout(Duration timeout) throws SQLException {
        execute("SET LOCAL lock_timeout = " + millis(timeout));
    }

    void setLockTimeout(Duration timeout) throws SQLException {
        execute("SET lock_timeout = " + millis(timeout));
    }

    /** The server's clock, for history timestamps. */
    OffsetDateTime serverNow() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT clock_timestamp()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getObject(1, OffsetDateTime.class);
        }
    }

    /** True when a transaction block is open (a migration's BEGIN without COMMIT). */
    boolean inTransactionBlock() throws SQLException {
        return connection.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE;
    }

    void rollbackQuietly() {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            } else if (inTransactionBlock()) {
                execute("ROLLBACK");
            }
        } catch (SQLException e) {
            // the connection is broken; the server rolls back when it goes
        }
    }

    private static String millis(Duration d) {
        return Long.toString(d.toMillis());
    }

    private static String describeClient() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "unknown-host";
            }
        }
        return "fortress-db " + System.getProperty("user.name", "?") + "@" + host + " pid " + ProcessHandle.current().pid();
    }
}
