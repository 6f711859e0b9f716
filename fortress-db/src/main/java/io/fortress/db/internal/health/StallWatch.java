package io.fortress.db.internal.health;

import io.fortress.db.internal.pool.NodePool;
import java.util.concurrent.TimeUnit;

/**
 * Gray failure detection for one watched node: statements in flight on its pool that complete none for a
 * while make the node worth a check now, so that a hung server (SIGSTOP, a stalled disk, a half-open
 * connection) is looked at at once instead of at the next round. "A while" is {@link #STALL_FLOOR_NANOS},
 * or {@link #STALL_MULTIPLE} times the recent mean statement time when that is longer, so that a node
 * whose statements are slow by nature is not suspected for it.
 *
 * <p>{@link #checkDue} is called by one thread only (the watch, every few milliseconds); {@link #isStalled}
 * by the checks, on any thread.
 */
final class StallWatch {
    static final long STALL_FLOOR_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    static final long STALL_MULTIPLE = 8;

    /** The pool the fields below describe; a slot may get another pool (a candidate's, once it is the primary). */
    private volatile NodePool watched;
    private long watchedQueries = -1;
    private long watchedLatencyNanos;
    private int stallChecks;
    private volatile long recentLatencyNanos;
    private volatile long progressAtNanos;

    /**
     * True when the node should be checked now: statements are in flight on {@code pool} and none has
     * completed for longer than the stall threshold. While the stall lasts, the wait before the next such
     * answer doubles.
     */
    boolean checkDue(NodePool pool, long nowNanos) {
        if (pool != watched) {
            watchedQueries = -1;
            recentLatencyNanos = 0;
            progressAtNanos = nowNanos;
            watched = pool; // last: isStalled reads it first
        }
        long done = pool.counters().queries();
        if (done != watchedQueries) {
            long latency = pool.counters().latencyNanos();
            if (watchedQueries >= 0) {
                long mean = (latency - watchedLatencyNanos) / Math.max(1, done - watchedQueries);
                recentLatencyNanos = recentLatencyNanos == 0 ? mean : (recentLatencyNanos * 7 + mean) / 8;
            }
            watchedQueries = done;
            watchedLatencyNanos = latency;
            progressAtNanos = nowNanos;
            stallChecks = 0;
            return false;
        }
        if (pool.inUse() == 0) {
            progressAtNanos = nowNanos;
            stallChecks = 0;
            return false;
        }
        if (nowNanos - progressAtNanos < stallThresholdNanos() << stallChecks) {
            return false;
        }
        stallChecks = Math.min(stallChecks + 1, 16);
        return true;
    }

    /**
     * True while statements are in flight on {@code pool} and none has completed for longer than the stall
     * threshold; false for a pool the watch has not looked at yet (the slot just got it), of which nothing
     * is known.
     */
    boolean isStalled(NodePool pool, long nowNanos) {
        return pool == watched && pool.inUse() > 0 && nowNanos - progressAtNanos >= stallThresholdNanos();
    }

    private long stallThresholdNanos() {
        return Math.max(STALL_FLOOR_NANOS, STALL_MULTIPLE * recentLatencyNanos);
    }
}
