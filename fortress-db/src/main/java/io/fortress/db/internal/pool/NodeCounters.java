package io.fortress.db.internal.pool;

import java.util.concurrent.atomic.LongAdder;

/**
 * Event counters of one node, incremented on the hot path (cheap, contention-free adders) and read by
 * {@code stats()} and by the Micrometer meters, so both always agree.
 */
public final class NodeCounters {
    final LongAdder queries = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder slowQueries = new LongAdder();
    final LongAdder latencyNanos = new LongAdder();
    final LongAdder waits = new LongAdder();
    final LongAdder waitNanos = new LongAdder();
    final LongAdder idleClosed = new LongAdder();
    final LongAdder lifetimeClosed = new LongAdder();
    final LongAdder otherClosed = new LongAdder();
    final LongAdder aborted = new LongAdder();

    /** Statements run on this node (each attempt of a retried read counts where it ran). */
    public long queries() {
        return queries.sum();
    }

    /** Statements that failed on this node. */
    public long errors() {
        return errors.sum();
    }

    /** Statements that took at least the slow-query threshold. */
    public long slowQueries() {
        return slowQueries.sum();
    }

    /** Total time of the statements run on this node, from asking for a connection to the last row read. */
    public long latencyNanos() {
        return latencyNanos.sum();
    }

    /** Borrows that waited for a connection (took 1 ms or more: one had to be returned or created). */
    public long waits() {
        return waits.sum();
    }

    /** Total time those borrows waited. */
    public long waitNanos() {
        return waitNanos.sum();
    }

    /** Connections closed after idling past connMaxIdleTime while the pool had surplus idle connections. */
    public long idleClosed() {
        return idleClosed.sum();
    }

    /** Connections closed because they reached connMaxLifetime. */
    public long lifetimeClosed() {
        return lifetimeClosed.sum();
    }

    /** Connections closed for any other reason: broken, evicted after a role change, or the pool shut down. */
    public long otherClosed() {
        return otherClosed.sum();
    }

    /** Connections in use when the node was found not answering and its connections were aborted. */
    public long aborted() {
        return aborted.sum();
    }
}
