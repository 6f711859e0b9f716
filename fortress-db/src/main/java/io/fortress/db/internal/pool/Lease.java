package io.fortress.db.internal.pool;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A connection lent by one node's pool ({@link NodePool#lease()}), the only way to one. HikariCP checks
 * every failure on one of its connections and takes the connection back in one place (ProxyConnection's
 * {@code checkException} and {@code close}); a lease does the same for what fortress adds, so that no
 * path that uses a node's connection (a statement, a stream, a transaction, a DataSource's connection)
 * can forget a step:
 * <ul>
 *   <li>a failure to borrow, and every failure of the work fortress runs on the connection
 *       ({@link #failed}), makes the node suspect when it says the node is gone
 *       ({@link NodePool#suspectIfGone}); what a caller runs on the connection itself
 *       ({@code Transaction.connection()}, a DataSource's connection) is the caller's, as with a plain pool;</li>
 *   <li>a read-your-writes guard is checked on the connection before anything runs on it
 *       ({@link #requireReplayed});</li>
 *   <li>each statement run through {@link #run} is timed and recorded on the node, slow ones logged;</li>
 *   <li>closing gives the connection back, unless it was handed to a caller ({@link #handOver()}) or
 *       retired ({@link #retire()}).</li>
 * </ul>
 * One thread holds a lease at a time.
 */
final class Lease implements AutoCloseable {
    private final NodePool node;
    private final Connection connection;
    private boolean handedOver;
    private boolean retired;

    Lease(NodePool node, Connection connection) {
        this.node = node;
        this.connection = connection;
    }

    NodePool node() {
        return node;
    }

    Connection connection() {
        return connection;
    }

    /**
     * Checks that the node replayed the guard's token (nothing to check when {@code guard} is null).
     *
     * @throws ReplayGuard.NotReplayedYet when the node is behind it
     */
    void requireReplayed(ReplayGuard guard) throws SQLException {
        if (guard != null) {
            try {
                guard.check(node, connection);
            } catch (SQLException e) {
                throw failed(e);
            }
        }
    }

    /** Runs one statement on the connection, timed from {@code startNanos} and recorded on the node, whether or not it failed. */
    <T> T run(long startNanos, String sql, Object[] params, StatementRunner.SqlWork<T> work) throws SQLException {
        return run(startNanos, sql, params, work, null);
    }

    /** {@link #run}, as an attempt of a hedged read: the attempt that lost and was cancelled is no failed statement. */
    <T> T run(long startNanos, String sql, Object[] params, StatementRunner.SqlWork<T> work, HedgeLeg leg) throws SQLException {
        try {
            boolean failed = true;
            try {
                T result = work.run(connection);
                failed = false;
                return result;
            } finally {
                boolean lost = leg != null && leg.unwanted();
                node.recordStatement(sql, params, System.nanoTime() - startNanos, failed && !lost, !lost);
            }
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /** Records a statement timed by the holder (a stream's, whose rows are read after this). */
    void record(String sql, Object[] params, long nanos, boolean failed) {
        node.recordStatement(sql, params, nanos, failed);
    }

    /**
     * Every SQLException met on the connection passes here before it is thrown: the node becomes suspect
     * when the failure says it is gone (see {@link NodePool#suspectIfGone}).
     *
     * @return {@code e}, to be thrown
     */
    SQLException failed(SQLException e) {
        node.suspectIfGone(e);
        return e;
    }

    /**
     * Gives the connection to a caller who closes it (a DataSource's caller): closing the lease then leaves
     * it alone, and failures of the caller's statements are the caller's, as with a plain pool.
     */
    Connection handOver() {
        handedOver = true;
        return connection;
    }

    /**
     * Takes the connection out of the pool for good instead of giving it back (a hedged read's losing
     * attempt that a cancel could still reach); closing the lease then leaves it alone.
     */
    void retire() throws SQLException {
        retired = true;
        boolean brokenAlready = connection.isClosed(); // HikariCP took it out when its statement failed on the aborted socket
        node.evict(connection);
        if (brokenAlready) {
            connection.close();
        }
    }

    /** Gives the connection back to the pool (HikariCP rolls back what its holder left open). */
    @Override
    public void close() throws SQLException {
        if (!handedOver && !retired) {
            connection.close();
        }
    }
}
