package io.fortress.db.migrate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only history table beside {@code schema_migrations}. golang-migrate never reads it
 * (its {@code drop} removes it with every other table of the schema). Rows are only inserted.
 */
final class HistoryTable {
    private static final Logger LOG = LoggerFactory.getLogger(HistoryTable.class);
    private static final String COLUMNS = "id, version, name, kind, status, from_version, to_version, checksum, down_checksum, tx_mode, "
            + "statements_total, statements_applied, error_sqlstate, error_message, error_statement, error_statement_text, "
            + "installed_by, client_info, started_at, finished_at, execution_ms";

    private HistoryTable() {
    }

    static String createStatement(TableNames names) {
        return "CREATE TABLE " + names.qualifiedHistory() + " (\n"
                + "    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                + "    version              bigint NOT NULL,\n"
                + "    name                 text,\n"
                + "    kind                 text NOT NULL CHECK (kind IN ('up', 'down', 'force', 'adopt', 'external_up', 'external_down', "
                + "'repair_checksum')),\n"
                + "    status               text NOT NULL CHECK (status IN ('running', 'success', 'failed')),\n"
                + "    from_version         bigint NOT NULL,\n"
                + "    to_version           bigint NOT NULL,\n"
                + "    checksum             text,\n"
                + "    down_checksum        text,\n"
                + "    tx_mode              text CHECK (tx_mode IN ('transaction', 'none')),\n"
                + "    statements_total     integer,\n"
                + "    statements_applied   integer,\n"
                + "    error_sqlstate       text,\n"
                + "    error_message        text,\n"
                + "    error_statement      integer,\n"
                + "    error_statement_text text,\n"
                + "    installed_by         text NOT NULL DEFAULT current_user,\n"
                + "    client_info          text,\n"
                + "    started_at           timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
                + "    finished_at          timestamptz,\n"
                + "    execution_ms         bigint,\n"
                + "    schema_fingerprint   jsonb\n"
                + ")";
    }

    static boolean exists(Connection c, TableNames names) throws SQLException {
        return VersionTable.tableExists(c, names.schema(), names.history());
    }

    static void create(Connection c, TableNames names) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(createStatement(names));
            st.execute("COMMENT ON TABLE " + names.qualifiedHistory() + " IS 'fortress-db migration history (append-only); "
                    + "golang-migrate keeps the current version in " + names.table().replace("'", "''") + "'");
        }
    }

    /**
     * Adds the schema_fingerprint column to a history table created before it existed, inside the
     * caller's transaction; a table that has it is left alone (no lock taken). The ALTER waits at most
     * 5 s for its lock, so that it never queues the readers of the table for long; when it cannot have
     * the lock or the role does not own the table, the run goes on without fingerprints.
     *
     * @return whether the table has the column now
     */
    static boolean upgrade(Connection c, TableNames names) throws SQLException {
        if (hasFingerprintColumn(c, names)) {
            return true;
        }
        Savepoint before = c.setSavepoint();
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL lock_timeout = '5s'");
            st.execute("ALTER TABLE " + names.qualifiedHistory() + " ADD COLUMN IF NOT EXISTS schema_fingerprint jsonb");
            c.releaseSavepoint(before);
            return true;
        } catch (SQLException e) {
            if (!"42501".equals(e.getSQLState()) && !"55P03".equals(e.getSQLState())) {
                throw e;
            }
            c.rollback(before);
            LOG.warn("{}: cannot add the schema_fingerprint column to {} ({}); schema drift is not recorded until the table's owner "
                    + "runs a migration", names.display(), names.qualifiedHistory(), e.getMessage());
            return false;
        }
    }

    private static boolean hasFingerprintColumn(Connection c, TableNames names) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ?::regclass "
                + "AND attname = 'schema_fingerprint' AND NOT attisdropped")) {
            ps.setString(1, names.qualifiedHistory());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * The fingerprint of the newest successful row that moved or set the version (a repaired checksum
     * and the adopt verb, which records a version below the current one, do neither); empty when that row has none: it ran before fingerprints, was adopted or external
     * (golang-migrate changed the schema), or its fingerprint could not be read.
     */
    static Optional<SchemaFingerprint.Recorded> lastFingerprint(Connection c, TableNames names) throws SQLException {
        if (!hasFingerprintColumn(c, names)) {
            return Optional.empty(); // a table from before fingerprints; the next run adds the column
        }
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_version, schema_fingerprint::text FROM " + names.qualifiedHistory()
                     + " WHERE status = 'success' AND kind <> 'repair_checksum' AND NOT (kind = 'adopt' AND from_version = to_version)"
                     + " ORDER BY id DESC LIMIT 1")) {
            return rs.next() ? SchemaFingerprint.Recorded.of(rs.getLong(1), rs.getString(2)) : Optional.empty();
        }
    }

    /** Every row of the existing table, oldest first. */
    static List<HistoryEntry> read(Connection c, TableNames names) throws SQLException {
        List<HistoryEntry> rows = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + COLUMNS + " FROM " + names.qualifiedHistory() + " ORDER BY id")) {
            while (rs.next()) {
                rows.add(new HistoryEntry(rs.getLong("id"), rs.getLong("version"), rs.getString("name"),
                        HistoryEntry.Kind.ofLabel(rs.getString("kind")), HistoryEntry.Status.ofLabel(rs.getString("status")),
                        rs.getLong("from_version"), rs.getLong("to_version"), rs.getString("checksum"), rs.getString("down_checksum"),
                        TransactionMode.ofLabel(rs.getString("tx_mode")), integer(rs, "statements_total"), integer(rs, "statements_applied"),
                        rs.getString("error_sqlstate"), rs.getString("error_message"), integer(rs, "error_statement"),
                        rs.getString("error_statement_text"), rs.getString("installed_by"), rs.getString("client_info"),
                        instant(rs, "started_at"), instant(rs, "finished_at"), longOrNull(rs, "execution_ms")));
            }
        }
        return rows;
    }

    /** An event to record; fields left null get the column default. */
    record Event(long version, String name, HistoryEntry.Kind kind, HistoryEntry.Status status, long fromVersion, long toVersion,
                 String checksum, String downChecksum, TransactionMode mode, Integer statementsTotal, Integer statementsApplied,
                 String errorSqlState, String errorMessage, Integer errorStatement, String errorStatementText,
                 OffsetDateTime startedAt, Long executionMs, String schemaFingerprint) {

        static Event of(Migration m, long version, HistoryEntry.Kind kind, HistoryEntry.Status status, long from, long to) {
            return new Event(version, m == null ? null : m.name(), kind, status, from, to, m == null ? null : m.upChecksum(),
                    m == null ? null : m.downChecksum(), null, null, null, null, null, null, null, null, null, null);
        }

        Event ran(TransactionMode txMode, int total, int applied, OffsetDateTime started, Long ms) {
            return new Event(version, name, kind, status, fromVersion, toVersion, checksum, downChecksum, txMode, total, applied,
                    errorSqlState, errorMessage, errorStatement, errorStatementText, started, ms, schemaFingerprint);
        }

        /** The same event, recorded as running (a file outside a transaction, before its first statement). */
        Event running() {
            return new Event(version, name, kind, HistoryEntry.Status.RUNNING, fromVersion, toVersion, checksum, downChecksum, mode,
                    statementsTotal, statementsApplied, errorSqlState, errorMessage, errorStatement, errorStatementText, startedAt,
                    executionMs, schemaFingerprint);
        }

        Event failed(String sqlState, String message, int statement, String statementText) {
            return new Event(version, name, kind, HistoryEntry.Status.FAILED, fromVersion, toVersion, checksum, downChecksum, mode,
                    statementsTotal, statementsApplied, sqlState, message, statement, statementText, startedAt, executionMs, null);
        }

        /** The same event with the schema's fingerprint (JSON; null for none). */
        Event fingerprinted(String json) {
            return new Event(version, name, kind, status, fromVersion, toVersion, checksum, downChecksum, mode, statementsTotal,
                    statementsApplied, errorSqlState, errorMessage, errorStatement, errorStatementText, startedAt, executionMs, json);
        }
    }

    /** Inserts one event; finished events get {@code finished_at = clock_timestamp()}. */
    static void insert(Connection c, TableNames names, Event e, String clientInfo) throws SQLException {
        // the column is named only with a fingerprint: a table from before fingerprints may not have it
        boolean fingerprint = e.schemaFingerprint() != null;
        String sql = "INSERT INTO " + names.qualifiedHistory() + " (version, name, kind, status, from_version, to_version, checksum, "
                + "down_checksum, tx_mode, statements_total, statements_applied, error_sqlstate, error_message, error_statement, "
                + "error_statement_text, client_info, started_at, finished_at, execution_ms" + (fingerprint ? ", schema_fingerprint" : "")
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, clock_timestamp()), "
                + "CASE WHEN ? THEN clock_timestamp() END, ?" + (fingerprint ? ", ?::jsonb" : "") + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 0;
            ps.setLong(++i, e.version());
            ps.setString(++i, e.name());
            ps.setString(++i, e.kind().label());
            ps.setString(++i, e.status().label());
            ps.setLong(++i, e.fromVersion());
            ps.setLong(++i, e.toVersion());
            ps.setString(++i, e.checksum());
            ps.setString(++i, e.downChecksum());
            ps.setString(++i, e.mode() == null ? null : e.mode().label());
            setInteger(ps, ++i, e.statementsTotal());
            setInteger(ps, ++i, e.statementsApplied());
            ps.setString(++i, e.errorSqlState());
            ps.setString(++i, e.errorMessage());
            setInteger(ps, ++i, e.errorStatement());
            ps.setString(++i, e.errorStatementText());
            ps.setString(++i, clientInfo);
            ps.setObject(++i, e.startedAt(), Types.TIMESTAMP_WITH_TIMEZONE);
            ps.setBoolean(++i, e.status() != HistoryEntry.Status.RUNNING);
            if (e.executionMs() == null) {
                ps.setNull(++i, Types.BIGINT);
            } else {
                ps.setLong(++i, e.executionMs());
            }
            if (fingerprint) {
                ps.setString(++i, e.schemaFingerprint());
            }
            ps.executeUpdate();
        }
    }

    private static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    private static Integer integer(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    private static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
