package io.fortress.db.internal.pool;

import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One read that may be hedged. Its first attempt runs on the caller's thread; the hedging timer claims it
 * once it is due, and a hedge thread then runs the same read on a second node. Whichever answers first
 * wins; the other is cancelled unless it ends soon ({@link Hedger#cancelUnlessDoneSoon}, {@link HedgeLeg}). A first attempt that fails while
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
    // field handles rather than atomic objects: a read that answers in time allocates as little as possible
    private static final VarHandle PHASE;
    private static final VarHandle WINNER;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PHASE = lookup.findVarHandle(HedgedRead.class, "phase", int.class);
            WINNER = lookup.findVarHandle(HedgedRead.class, "winner", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final HedgeLeg firstLeg = new HedgeLeg();
    private final NodePool second;
    private final ReplayGuard guard;
    private final StatementRunner.LegWork<T> work;
    private final long dueNanos;
    private final Thread caller = Thread.currentThread();
    /** The caller's deadline, which the hedge runs under too. */
    private final io.fortress.db.api.Deadline deadline = io.fortress.db.api.Deadline.current().orElse(null);
    private volatile int phase; // WAITING
    private volatile int winner; // NONE
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
        return phase == WAITING && nowNanos - dueNanos >= 0;
    }

    /** Claims the read for a hedge (timer thread); false when the first attempt ended meanwhile. */
    boolean claim() {
        hedgeLeg = new HedgeLeg();
        return PHASE.compareAndSet(this, WAITING, HEDGED);
    }

    /** Runs the hedge on the second node (a hedge thread); when it answers first, the first attempt is cancelled. */
    void runHedge(Hedger hedger) {
        boolean won = false;
        try {
            T result = deadline == null ? work.run(second, guard, hedgeLeg) : underDeadline();
            if (WINNER.compareAndSet(this, NONE, HEDGE)) {
                hedgeResult = result;
                won = true;
            }
        } catch (SQLException | RuntimeException e) {
            // the hedge failed: the first attempt's outcome stands
        } finally {
            finishHedge(); // whatever was thrown: the caller may be waiting for it
        }
        if (won) {
            hedger.won();
            hedger.cancelUnlessDoneSoon(firstLeg);
        }
    }

    /** The hedge, on this hedge thread, under the caller's deadline. */
    private T underDeadline() throws SQLException {
        try (io.fortress.db.api.Deadline.Scope scope = deadline.enter()) {
            return work.run(second, guard, hedgeLeg);
        }
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
        if (PHASE.compareAndSet(this, WAITING, FINISHED)) {
            return result;
        }
        if (WINNER.compareAndSet(this, NONE, FIRST)) {
            hedger.cancelUnlessDoneSoon(hedgeLeg);
            return result;
        }
        awaitHedge();
        return hedgeResult;
    }

    /** What the read returns, or throws, once its first attempt failed (caller's thread). */
    T afterFirstFailed(SQLException failure, Hedger hedger) throws SQLException {
        if (PHASE.compareAndSet(this, WAITING, FINISHED)) {
            throw failure;
        }
        awaitHedge();
        if (winner == HEDGE) {
            return hedgeResult;
        }
        throw failure;
    }

    /** A failure the hedge would repeat (a row mapper's): the hedge is stopped (caller's thread). */
    RuntimeException afterFirstBroke(RuntimeException failure, Hedger hedger) {
        if (!PHASE.compareAndSet(this, WAITING, FINISHED) && WINNER.compareAndSet(this, NONE, FIRST)) {
            hedger.cancelUnlessDoneSoon(hedgeLeg);
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
