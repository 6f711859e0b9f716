package io.fortress.db.internal.pool;

import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The statements of a {@link io.fortress.db.Database}, routed by intent: writes to the primary, reads
 * to a node chosen per statement by the caller's {@link Consistency}, streams from a server-side cursor,
 * and plain DataSources over the same pools.
 */
public final class Statements {
    private static final Logger LOG = LoggerFactory.getLogger(Statements.class);
    private static final int STREAM_FETCH_SIZE = 500;
    /** PostgreSQL's WAL page size (XLOG_BLCKSZ), 8 kB unless the server was compiled otherwise. */
    private static final long WAL_PAGE_BYTES = 8192;
    private static final long SHORT_PAGE_HEADER = 24;
    private static final long LONG_PAGE_HEADER = 40;

    private final Topology topology;
    private final StatementRunner runner;
    private final Transactions transactions;

    public Statements(Topology topology, DbConfig config) {
        this.topology = topology;
        this.runner = new StatementRunner(topology, config);
        this.transactions = new Transactions(runner);
    }

    /** Transactions on the same pools. */
    public Transactions transactions() {
        return transactions;
    }

    /** How many reads were rerouted for the given reason. */
    public long reroutes(Reroute reason) {
        return runner.reroutes(reason);
    }

    /** How many hedged reads did what (all 0 while reads are not hedged). */
    public long hedges(HedgeCount what) {
        return runner.hedges(what);
    }

    /** Stops the threads of hedged reads; the pools are the topology's to close. */
    public void close() {
        runner.close();
    }

    /** Runs a statement on the primary; returns the affected row count. */
    public long exec(String sql, Object[] params) {
        return runner.onPrimary(sql, (node, guard) -> runner.attempt(node, null, sql, params, c -> Jdbc.execute(c, sql, params)));
    }

    /** The primary's WAL insert position now: at or after the commit of every transaction committed so far. */
    public ConsistencyToken consistencyToken() {
        return new ConsistencyToken(recordBoundary(runner.primaryPosition()));
    }

    /**
     * The insert position points past a page header when it sits at the start of a WAL page, while a
     * replica's replay position is the end of the last record, the page boundary itself: without this a
     * token taken on an idle primary could stay out of every replica's reach. No record ends inside a
     * page header (24 bytes, 40 on a segment's first page), so the mapping back is exact.
     */
    static long recordBoundary(long insertLsn) {
        long inPage = insertLsn % WAL_PAGE_BYTES;
        return inPage == SHORT_PAGE_HEADER || inPage == LONG_PAGE_HEADER ? insertLsn - inPage : insertLsn;
    }

    /** Runs a read on a node that satisfies the consistency and maps every row. */
    public <T> List<T> query(Consistency consistency, String sql, RowMapper<T> mapper, Object[] params) {
        return runner.hedgeableRead(consistency, sql, (node, guard, leg) -> runner.attempt(node, guard, sql, params,
                c -> node.guardsEachRead() ? Jdbc.readOnlyQuery(c, sql, params, mapper) : Jdbc.query(c, sql, params, mapper), leg));
    }

    /** Runs a read expected to return at most one row. */
    public <T> Optional<T> queryOne(Consistency consistency, String sql, RowMapper<T> mapper, Object[] params) {
        return Jdbc.atMostOne(query(consistency, sql, mapper, params), sql);
    }

    /**
     * Runs a read and streams its rows from a server-side cursor, a batch at a time. The stream holds a
     * connection until it is closed; use try-with-resources. Opening the cursor is retried like any
     * read; a failure after rows were handed out is not.
     */
    public <T> Stream<T> stream(Consistency consistency, String sql, RowMapper<T> mapper, Object[] params) {
        return runner.read(consistency, sql, (node, guard) -> openStream(node, guard, sql, params, mapper));
    }

    private <T> Stream<T> openStream(NodePool node, ReplayGuard guard, String sql, Object[] params, RowMapper<T> mapper)
            throws SQLException {
        Lease lease = node.lease(guard);
        long start = System.nanoTime(); // the statement is the cursor's opening; its rows are read later, at the caller's pace
        boolean failed = true;
        PreparedStatement ps = null;
        try {
            Connection c = lease.connection();
            c.setAutoCommit(false); // the driver uses a cursor only inside a transaction
            ps = Jdbc.prepare(c, sql, params);
            ps.setFetchSize(STREAM_FETCH_SIZE);
            ResultSet rs = ps.executeQuery();
            failed = false;
            PreparedStatement statement = ps;
            Spliterator<T> rows = new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE, Spliterator.ORDERED) {
                @Override
                public boolean tryAdvance(Consumer<? super T> action) {
                    try {
                        if (!rs.next()) {
                            return false;
                        }
                        action.accept(mapper.map(rs));
                        return true;
                    } catch (SQLException e) {
                        node.recordError(); // the statement was counted when its cursor opened
                        throw StatementRunner.failure(lease.failed(e), node, sql);
                    }
                }
            };
            return StreamSupport.stream(rows, false).onClose(() -> closeCursor(lease, statement));
        } catch (SQLException | RuntimeException e) {
            closeCursor(lease, ps);
            if (e instanceof SQLException sqlException) {
                throw lease.failed(sqlException);
            }
            throw e;
        } finally {
            lease.record(sql, params, System.nanoTime() - start, failed);
        }
    }

    private static void closeCursor(Lease lease, PreparedStatement ps) {
        try (lease) {
            if (ps != null) {
                ps.close();
            }
            lease.connection().rollback(); // read-only work: nothing to keep, and it ends the cursor's transaction
        } catch (SQLException e) {
            LOG.debug("closing a cursor on {} failed: {}", lease.node(), e.getMessage());
        }
    }

    /** Connections of the current primary's pool, handed to the caller. */
    public DataSource primaryDataSource() {
        return new BorrowingDataSource("primary", () -> {
            NodePool node = topology.primary();
            if (!node.isGood()) {
                throw new SQLException(StatementRunner.downMessage(node), "08001");
            }
            return node.lease().handOver();
        });
    }

    /**
     * Connections of the node a read of this consistency would use, chosen per {@code getConnection()}:
     * a replica the policy allows (for read-your-writes, one that has replayed the token), the primary
     * when none does.
     */
    public DataSource readDataSource(Consistency consistency) {
        return new BorrowingDataSource("read", () -> runner.read(consistency, "getConnection()",
                (node, guard) -> node.lease(guard).handOver()));
    }
}
