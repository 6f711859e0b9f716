package io.fortress.db.migrate;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the version and history in one read-only snapshot, without taking the lock or creating
 * anything: what version(), status(), plan(), validate() and autoMigrate()'s fast path see.
 */
final class StateReader {
    private static final Logger LOG = LoggerFactory.getLogger(StateReader.class);

    private StateReader() {
    }

    /**
     * Reads the state; with {@code compareSchema} also the recorded and the current schema fingerprint
     * (a catalog scan, so only validate() and status() ask for it).
     */
    static DatabaseState read(Connection c, MigrationConfig config, boolean compareSchema) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        boolean readOnly = c.isReadOnly();
        try {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            // for this transaction only: a session setting would outlive it on a PgBouncer's server connection
            try (java.sql.Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            }
            Session session = Session.open(c, config);
            DatabaseState state = readIn(c, session.names());
            if (compareSchema && state.history().exists() && !state.version().dirty()) {
                Optional<DatabaseState.SchemaComparison> schema = compare(c, session.names(), state.version().version());
                state = new DatabaseState(state.names(), state.versionTableExists(), state.version(), state.history(), schema);
            }
            c.rollback();
            return state;
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
            c.setReadOnly(readOnly);
        }
    }

    /**
     * The recorded fingerprint and the schema's now, when one was recorded at {@code version} (the
     * clean version the schema is at), inside the caller's transaction. Reading the schema is an extra
     * to reports and runs, so its failure is logged and leaves the comparison out.
     */
    static Optional<DatabaseState.SchemaComparison> compare(Connection c, TableNames names, long version) throws SQLException {
        Optional<SchemaFingerprint.Recorded> recorded = HistoryTable.lastFingerprint(c, names);
        if (recorded.isEmpty() || recorded.get().version() != version) {
            return Optional.empty();
        }
        Savepoint before = c.setSavepoint();
        try {
            return Optional.of(new DatabaseState.SchemaComparison(recorded.get(), SchemaFingerprint.read(c, names)));
        } catch (SQLException e) {
            c.rollback(before);
            LOG.warn("{}: schema drift not checked: reading the schema failed: {}", names.display(), e.getMessage());
            return Optional.empty();
        }
    }

    /** Reads with the connection as it is (inside the caller's transaction, or under the lock). */
    static DatabaseState readIn(Connection c, TableNames names) throws SQLException {
        boolean tableExists = VersionTable.tableExists(c, names.schema(), names.table());
        MigrationVersion version = tableExists ? VersionTable.read(c, names) : MigrationVersion.NIL;
        boolean historyExists = HistoryTable.exists(c, names);
        List<HistoryEntry> history = historyExists ? HistoryTable.read(c, names) : List.of();
        return new DatabaseState(names, tableExists, version, new HistoryLog(historyExists, history), Optional.empty());
    }
}
