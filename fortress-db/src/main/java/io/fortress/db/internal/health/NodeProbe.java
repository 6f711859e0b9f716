package io.fortress.db.internal.health;

import io.fortress.db.internal.Lsn;
import io.fortress.db.internal.pool.NodeConnector;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Reads one node's replication facts on a connection of its own, outside the pools, kept open between
 * checks and opened again after any failure. Each reading is a single statement, bounded on the socket
 * and on the server by the timeout it is given, whatever the connection was opened with.
 */
final class NodeProbe implements AutoCloseable {
    private static final String PRIMARY_SQL = """
            SELECT pg_is_in_recovery(),
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
                   CASE WHEN pg_is_in_recovery() THEN NULL
                        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint END""";
    private static final String REPLICA_SQL = """
            SELECT pg_is_in_recovery(),
                   pg_last_wal_receive_lsn()::text,
                   pg_last_wal_replay_lsn()::text,
                   CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END,
                   (SELECT pid FROM pg_stat_wal_receiver),
                   (SELECT status FROM pg_stat_wal_receiver),
                   (SELECT setting = 'on' AND source IN ('configuration file', 'command line', 'global', 'database', 'user',
                           'database user') FROM pg_settings WHERE name = 'default_transaction_read_only')""";
    private static final String WAL_SQL = "SELECT pg_current_wal_lsn()::text";

    private final NodeConnector connector;
    private Connection connection;
    private Duration openedWith;

    NodeProbe(NodeConnector connector) {
        this.connector = connector;
    }

    /** What a node that may be the primary says about itself. */
    record PrimaryReading(boolean inRecovery, Long walLsn, Long timeline) {
    }

    /**
     * What a replica says about itself.
     *
     * @param receiverPid    null when no WAL receiver runs
     * @param receiverStatus null when not visible (the check's role lacks pg_read_all_stats) or no receiver
     * @param sessionsReadOnly every session of this role begins read-only: default_transaction_read_only
     *                         is on by the server's configuration, the database's or the role's setting
     *                         (not by one session's SET or startup option)
     */
    record ReplicaReading(boolean inRecovery, Long receivedLsn, Long replayedLsn, boolean replayPaused,
                          Integer receiverPid, String receiverStatus, boolean sessionsReadOnly) {
    }

    synchronized PrimaryReading readPrimary(Duration timeout) throws SQLException {
        return read(timeout, PRIMARY_SQL, rs -> new PrimaryReading(rs.getBoolean(1), lsn(rs.getString(2)), (Long) rs.getObject(3)));
    }

    synchronized ReplicaReading readReplica(Duration timeout) throws SQLException {
        return read(timeout, REPLICA_SQL, rs -> new ReplicaReading(rs.getBoolean(1), lsn(rs.getString(2)), lsn(rs.getString(3)),
                rs.getBoolean(4), (Integer) rs.getObject(5), rs.getString(6), Boolean.TRUE.equals(rs.getObject(7))));
    }

    /** The primary's current WAL position. */
    synchronized long readWalPosition(Duration timeout) throws SQLException {
        return read(timeout, WAL_SQL, rs -> Lsn.parse(rs.getString(1)));
    }

    /** Maps the one row of a reading. */
    private interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Runs one reading; any failure drops the connection, so the next reading opens a fresh one. */
    private <T> T read(Duration timeout, String sql, RowReader<T> reader) throws SQLException {
        try (Statement s = connection(timeout).createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return reader.read(rs);
        } catch (SQLException e) {
            drop();
            throw e;
        }
    }

    private Connection connection(Duration timeout) throws SQLException {
        if (connection == null) {
            connection = connector.openDedicated(timeout, "health check");
            openedWith = timeout;
        } else if (!timeout.equals(openedWith)) {
            // a new pace keeps the connection, with the new bounds
            connector.applyTimeout(connection, timeout);
            openedWith = timeout;
        }
        return connection;
    }

    private static Long lsn(String text) {
        return text == null ? null : Lsn.parse(text);
    }

    private void drop() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // the connection is being thrown away
            }
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        drop();
    }
}
