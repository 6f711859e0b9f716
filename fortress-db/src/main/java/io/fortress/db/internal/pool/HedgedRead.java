package io.fortress.db.internal.pool;

import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One read that may be hedged. Its first attempt runs on the caller's thread; the hedging timer claims it
 * once it is due, and a hedge thread then runs the same read on a second node. Whichever answers first
 * wins ({@link #winner}); the other is cancelled ({@link HedgeLeg}). A first attempt that fails while
 * its hedge runs waits for the hedge, which then serves as its retry.
 *
 * @param <T> what the read returns
 */
final class HedgedRead<T> {
    private static final int WAITING = 0;
    private static final int HEDGED = 1;
    private static final int FINISHED = 2;
    private static final int NONE = 0;
    private static final int FIRST = 1;
    private static final int HEDGE = 2;

    final HedgeLeg firstLeg = new HedgeLeg();
    private final NodePool second;
    private final ReplayGuard guard;
    private final StatementRunner.LegWork<T> work;
    private final long dueNanos;
    private final Thread caller = Thread.currentThread();
    private final AtomicInteger phase = new AtomicInteger(WAITING);
    private final AtomicInteger winner = new AtomicInteger(NONE);
    /** Written by the timer before it claims the read; read by others only after they saw the claim. */
    private HedgeLeg hedgeLeg;
    private T hedgeResult;
    private volatile boolean hedgeDone;
    /** The budget refused this read's hedge once (the timer's thread only): counted once. */
    boolean denied;

    HedgedRead(NodePool second, ReplayGuard guard, StatementRunner.LegWork<T> work, long dueNanos) {
        this.second = second;
        this.guard = guard;
        this.work = work;
        this.dueNanos = dueNanos;
    }

    /** True when the first attempt is still running past the hedge delay and nothing was decided (timer thread). */
    boolean isDue(long nowNanos) {
        return phase.get() == WAITING && nowNanos - dueNanos >= 0;
    }

    /** Claims the read for a hedge (timer thread); false when the first attempt ended meanwhile. */
    boolean claim() {
        hedgeLeg = new HedgeLeg();
        return phase.compareAndSet(WAITING, HEDGED);
    }

    /** Runs the hedge on the second node (a hedge thread); when it answers first, the first attempt is cancelled. */
    void runHedge(Hedger hedger) {
        try {
            T result = work.run(second, guard, hedgeLeg);
            if (winner.compareAndSet(NONE, HEDGE)) {
                hedgeResult = result;
                hedger.won();
                finishHedge();
                hedger.cancel(firstLeg);
                return;
            }
        } catch (SQLException | RuntimeException e) {
            // the hedge failed: the first attempt's outcome stands
        }
        finishHedge();
    }

    /** The hedge could not be sent (no hedge thread free): the first attempt's outcome stands. */
    void notSent() {
        finishHedge();
    }

    private void finishHedge() {
        hedgeDone = true;
        LockSupport.unpark(caller);
    }

    /** What the read returns once its first attempt answered (caller's thread). */
    T afterFirstAnswered(T result, Hedger hedger) {
        if (phase.compareAndSet(WAITING, FINISHED)) {
            return result;
        }
        if (winner.compareAndSet(NONE, FIRST)) {
            hedger.cancelLater(hedgeLeg);
            return result;
        }
        awaitHedge();
        return hedgeResult;
    }

    /** What the read returns, or throws, once its first attempt failed (caller's thread). */
    T afterFirstFailed(SQLException failure, Hedger hedger) throws SQLException {
        if (phase.compareAndSet(WAITING, FINISHED)) {
            throw failure;
        }
        awaitHedge();
        if (winner.get() == HEDGE) {
            return hedgeResult;
        }
        throw failure;
    }

    /** A failure the hedge would repeat (a row mapper's): the hedge is stopped (caller's thread). */
    RuntimeException afterFirstBroke(RuntimeException failure, Hedger hedger) {
        if (!phase.compareAndSet(WAITING, FINISHED) && winner.compareAndSet(NONE, FIRST)) {
            hedger.cancelLater(hedgeLeg);
        }
        return failure;
    }

    /** Waits for the hedge to end; it is bounded by the pool and socket timeouts like any read. */
    private void awaitHedge() {
        while (!hedgeDone) {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
