package io.fortress.db.internal.pool;

import io.fortress.db.api.DbConfig;
import io.fortress.db.internal.Threads;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hedged reads ("The Tail at Scale"): a read safe to repeat that has not answered after its node's recent
 * 99th percentile latency (at least DB_HEDGE_MIN_DELAY) is sent to a second node of the same consistency
 * too, within DB_HEDGE_BUDGET.
 *
 * <p>A read that answers in time costs its caller no thread hand-off and no timer: it registers in a
 * slot of a striped array (one compare-and-set), runs on its own thread, and clears the slot. One timer
 * thread scans the slots every few milliseconds, sends due hedges within the budget to a hedge thread,
 * and once a second closes every node's latency window.
 */
final class Hedger implements AutoCloseable {
    /** How long a node gets to answer a cancel before the losing attempt's connection is aborted. */
    static final long CANCEL_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Logger LOG = LoggerFactory.getLogger(Hedger.class);
    private static final int SLOTS = 256;
    /** References per slot: one slot per cache line, so that callers on different slots never share one. */
    private static final int STRIDE = 16;
    private static final int PROBES = 4;
    private static final int MAX_THREADS = 64;
    /**
     * Cancel requests one node may have on the way at once. A frozen node accepts a request's connection
     * and never answers, so each request holds a hedge thread for up to pgjdbc's cancelSignalTimeout; an
     * attempt that loses beyond this is aborted at once, and hedge threads stay free to send hedges.
     */
    static final int CANCELS_IN_FLIGHT_PER_NODE = 4;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Topology topology;
    private final long minDelayNanos;
    private final HedgeBudget budget;
    private final AtomicReferenceArray<HedgedRead<?>> inFlight = new AtomicReferenceArray<>(SLOTS * STRIDE);
    private final LongAdder started = new LongAdder();
    private final LongAdder[] counts = new LongAdder[HedgeCount.values().length];
    private final ScheduledThreadPoolExecutor timer;
    private final ThreadPoolExecutor legs;
    private final Map<NodePool, AtomicInteger> cancelsInFlight = new ConcurrentHashMap<>();
    private long nextWindowNanos = System.nanoTime() + WINDOW_NANOS; // the timer's thread only

    Hedger(Topology topology, DbConfig config) {
        this.topology = topology;
        this.minDelayNanos = config.hedgeMinDelay().toNanos();
        this.budget = new HedgeBudget(config.hedgeBudget().fraction());
        Arrays.setAll(counts, i -> new LongAdder());
        this.timer = new ScheduledThreadPoolExecutor(1, Threads.daemonNamed("fortress-db-hedge-timer"));
        timer.setRemoveOnCancelPolicy(true);
        this.legs = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), Threads.daemon("fortress-db-hedge"));
        // a quarter of the shortest delay, so that a hedge leaves at most 25 % after it is due
        long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(TimeUnit.MILLISECONDS.toNanos(5), minDelayNanos / 4));
        timer.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.NANOSECONDS);
    }

    long count(HedgeCount what) {
        return counts[what.ordinal()].sum();
    }

    /**
     * Runs a read on {@code first} on the caller's thread, hedged to {@code second} when it has not answered
     * in time; the first answer is returned.
     *
     * @throws SQLException the first attempt's failure when the hedge did not answer instead
     */
    <T> T run(NodePool first, NodePool second, ReplayGuard guard, StatementRunner.LegWork<T> work) throws SQLException {
        long delay = Math.max(minDelayNanos, first.latency().percentileNanos());
        HedgedRead<T> read = new HedgedRead<>(second, guard, work, System.nanoTime() + delay);
        started.increment();
        int slot = register(read);
        if (slot < 0) {
            return work.run(first, guard, null); // every slot near this thread's is taken: unhedged
        }
        T result;
        try {
            result = work.run(first, guard, read.firstLeg);
        } catch (SQLException e) {
            inFlight.lazySet(slot, null);
            return read.afterFirstFailed(e, this);
        } catch (RuntimeException e) {
            inFlight.lazySet(slot, null);
            throw read.afterFirstBroke(e, this);
        }
        inFlight.lazySet(slot, null);
        return read.afterFirstAnswered(result, this);
    }

    /** Puts the read in a free slot near the caller's thread; -1 when none is free. */
    private int register(HedgedRead<?> read) {
        int home = (int) ((Thread.currentThread().getId() * 0x9E3779B97F4A7C15L) >>> 56);
        for (int probe = 0; probe < PROBES; probe++) {
            int index = ((home + probe) & (SLOTS - 1)) * STRIDE;
            if (inFlight.get(index) == null && inFlight.compareAndSet(index, null, read)) {
                return index;
            }
        }
        return -1;
    }

    /** The timer: closes the latency windows once a second, and sends the hedges that are due within the budget. */
    private void tick() {
        try {
            long now = System.nanoTime();
            if (now - nextWindowNanos >= 0) {
                nextWindowNanos = now + WINDOW_NANOS;
                for (NodePool pool : topology.pools()) {
                    pool.latency().rotate();
                }
                budget.rotate(started.sum());
            }
            long reads = -1;
            for (int i = 0; i < SLOTS * STRIDE; i += STRIDE) {
                HedgedRead<?> read = inFlight.get(i);
                if (read == null || !read.isDue(now)) {
                    continue;
                }
                reads = reads < 0 ? started.sum() : reads;
                if (!budget.tryAcquire(reads)) {
                    if (!read.denied) {
                        read.denied = true;
                        counts[HedgeCount.DENIED.ordinal()].increment();
                    }
                } else if (read.claim()) {
                    send(read);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("the hedging timer failed: {}", e.toString());
        }
    }

    private void send(HedgedRead<?> read) {
        try {
            legs.execute(() -> read.runHedge(this));
            counts[HedgeCount.SENT.ordinal()].increment();
        } catch (RejectedExecutionException busy) {
            counts[HedgeCount.UNSENT.ordinal()].increment();
            read.notSent();
        }
    }

    /** A hedge answered first. */
    void won() {
        counts[HedgeCount.WON.ordinal()].increment();
    }

    /**
     * Cancels an attempt that lost, on this thread (a hedge thread); its connection is aborted if the node does
     * not answer, or at once when the node has {@link #CANCELS_IN_FLIGHT_PER_NODE} cancel requests unanswered.
     */
    private void cancel(HedgeLeg leg) {
        NodePool node = leg.node();
        AtomicInteger onTheWay = node == null ? null : cancelsInFlight.computeIfAbsent(node, n -> new AtomicInteger());
        if (onTheWay != null && onTheWay.incrementAndGet() > CANCELS_IN_FLIGHT_PER_NODE) {
            onTheWay.decrementAndGet();
            abortUnsent(leg);
            return;
        }
        try {
            try {
                timer.schedule(() -> {
                    if (leg.abortIfStillRunning()) {
                        counts[HedgeCount.CANCELS_UNANSWERED.ordinal()].increment();
                    }
                }, CANCEL_GRACE_NANOS, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                leg.abortUnsent();
                return;
            }
            if (leg.cancel()) {
                counts[HedgeCount.CANCELS.ordinal()].increment();
            }
        } finally {
            if (onTheWay != null) {
                onTheWay.decrementAndGet();
            }
        }
    }

    /**
     * Cancels an attempt that lost unless it ends within the hedge delay's floor (DB_HEDGE_MIN_DELAY). On a healthy
     * but busy cluster a loser is usually about to answer, and a cancel costs the server a process of its own
     * (PostgreSQL forks one per cancel request) and may cost the connection: cancelling every loser at once made
     * hedging feed on itself on a loaded machine (bench W1). A loser on a hung node is cancelled after that wait.
     */
    void cancelUnlessDoneSoon(HedgeLeg leg) {
        try {
            timer.schedule(() -> {
                if (!leg.ended()) {
                    cancelLater(leg);
                }
            }, minDelayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            abortUnsent(leg);
        }
    }

    /** Cancels an attempt that lost, on a hedge thread (the request may block). */
    private void cancelLater(HedgeLeg leg) {
        try {
            legs.execute(() -> cancel(leg));
        } catch (RejectedExecutionException busy) {
            abortUnsent(leg);
        }
    }

    private void abortUnsent(HedgeLeg leg) {
        if (leg.abortUnsent()) {
            counts[HedgeCount.ABORTS.ordinal()].increment();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        legs.shutdown();
    }
}
