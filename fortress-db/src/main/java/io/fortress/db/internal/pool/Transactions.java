package io.fortress.db.internal.pool;

import io.fortress.db.api.Consistency;
import io.fortress.db.api.DatabaseException;
import io.fortress.db.api.RowMapper;
import io.fortress.db.api.Transaction;
import io.fortress.db.api.TransactionCallback;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/**
 * Transactions: read-write ones on one primary connection, read-only ones pinned to one node that
 * satisfies the consistency, so that all their statements see one snapshot. Beginning a read-only
 * transaction is retried like a read; once the callback runs, nothing is.
 */
public final class Transactions {
    private final StatementRunner runner;

    Transactions(StatementRunner runner) {
        this.runner = runner;
    }

    /** Runs the callback in a read-write transaction on one primary connection; commits when it returns. */
    public <T> T inTransaction(TransactionCallback<T> callback) {
        return finish(runner.onPrimary("BEGIN", (node, guard) -> begin(node, null, false)), callback);
    }

    /**
     * Runs the callback in a read-only REPEATABLE READ transaction pinned to one node that satisfies the
     * consistency (the primary when none does), so all its statements see one snapshot.
     */
    public <T> T inReadOnlyTransaction(Consistency consistency, TransactionCallback<T> callback) {
        return finish(runner.read(consistency, "BEGIN READ ONLY", (node, guard) -> begin(node, guard, true)), callback);
    }

    /** Leases a connection and opens a transaction on it; read-only ones get one snapshot for all statements. */
    private Lease begin(NodePool node, ReplayGuard guard, boolean readOnly) throws SQLException {
        Lease lease = node.lease(guard);
        try {
            Connection c = lease.connection();
            c.setAutoCommit(false);
            if (readOnly) {
                // Standbys cannot run SERIALIZABLE; REPEATABLE READ gives one snapshot. The driver sends
                // this together with its BEGIN, in one round trip.
                try (Statement s = c.createStatement()) {
                    s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
                }
            }
            return lease;
        } catch (SQLException e) {
            SQLException failure = lease.failed(e);
            lease.close();
            throw failure;
        }
    }

    private <T> T finish(Lease lease, TransactionCallback<T> callback) {
        try (lease) {
            Connection c = lease.connection();
            T result;
            try {
                result = callback.run(new TransactionImpl(lease));
            } catch (Throwable t) {
                rollbackQuietly(c, t);
                throw propagate(t);
            }
            if (Deadlines.passed()) {
                DatabaseException late = Deadlines.beforeCommit(lease.node().name());
                rollbackQuietly(c, late);
                throw late;
            }
            c.commit();
            return result;
        } catch (SQLException e) {
            throw StatementRunner.failure(lease.failed(e), lease.node(), "COMMIT");
        }
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private static RuntimeException propagate(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new DatabaseException("transaction rolled back because its callback threw " + t, t);
    }

    /** The statements of one transaction on one leased connection, each recorded on its node. */
    private static final class TransactionImpl implements Transaction {
        private final Lease lease;

        TransactionImpl(Lease lease) {
            this.lease = lease;
        }

        @Override
        public long exec(String sql, Object... params) {
            return run(sql, params, c -> Jdbc.execute(c, sql, params));
        }

        @Override
        public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
            return run(sql, params, c -> Jdbc.query(c, sql, params, mapper));
        }

        @Override
        public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
            return Jdbc.atMostOne(query(sql, mapper, params), sql);
        }

        @Override
        public String node() {
            return lease.node().name();
        }

        @Override
        public Connection connection() {
            return lease.connection();
        }

        private <T> T run(String sql, Object[] params, StatementRunner.SqlWork<T> work) {
            try {
                return lease.run(System.nanoTime(), sql, params, work);
            } catch (SQLException e) {
                throw StatementRunner.failure(e, lease.node(), sql);
            }
        }
    }
}
