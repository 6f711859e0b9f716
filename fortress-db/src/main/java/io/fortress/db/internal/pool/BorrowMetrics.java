package io.fortress.db.internal.pool;

import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.PoolStats;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * HikariCP's Micrometer meters for one pool, kept true for borrows that wait in slices
 * ({@link NodePool#borrow()}): while such a borrow runs, what HikariCP records per slice is dropped,
 * and the borrow's outcome is recorded once, with its whole wait.
 */
final class BorrowMetrics implements MetricsTrackerFactory {
    /** One flag per thread, set and cleared in place: ThreadLocal.set/remove on every borrow costs more than the borrow. */
    private static final ThreadLocal<boolean[]> IN_SLICED_BORROW = ThreadLocal.withInitial(() -> new boolean[1]);

    private final MicrometerMetricsTrackerFactory delegate;
    private volatile IMetricsTracker tracker;

    BorrowMetrics(MeterRegistry registry) {
        this.delegate = new MicrometerMetricsTrackerFactory(registry);
    }

    /** Marks this thread as inside a sliced borrow; clear the returned flag when the borrow ends. */
    static boolean[] beginSlices() {
        boolean[] flag = IN_SLICED_BORROW.get();
        flag[0] = true;
        return flag;
    }

    private static boolean inSlices() {
        return IN_SLICED_BORROW.get()[0];
    }

    /** A sliced borrow got a connection after waiting this long in all. */
    void acquired(long nanos) {
        IMetricsTracker t = tracker;
        if (t != null) {
            t.recordConnectionAcquiredNanos(nanos);
        }
    }

    /** A sliced borrow gave up after waiting this long in all. */
    void timedOut(long nanos) {
        IMetricsTracker t = tracker;
        if (t != null) {
            t.recordConnectionAcquiredNanos(nanos);
            t.recordConnectionTimeout();
        }
    }

    @Override
    public IMetricsTracker create(String poolName, PoolStats poolStats) {
        IMetricsTracker real = delegate.create(poolName, poolStats);
        this.tracker = real;
        return new IMetricsTracker() {
            @Override
            public void recordConnectionCreatedMillis(long millis) {
                real.recordConnectionCreatedMillis(millis);
            }

            @Override
            public void recordConnectionAcquiredNanos(long nanos) {
                if (!inSlices()) {
                    real.recordConnectionAcquiredNanos(nanos);
                }
            }

            @Override
            public void recordConnectionUsageMillis(long millis) {
                real.recordConnectionUsageMillis(millis);
            }

            @Override
            public void recordConnectionTimeout() {
                if (!inSlices()) {
                    real.recordConnectionTimeout();
                }
            }

            @Override
            public void close() {
                real.close();
            }
        };
    }
}
