package io.fortress.db.internal.pool;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * Round robin over the replicas that are eligible: a caller takes an array of candidates and tries
 * them from {@link #start(int)} on, wrapping around. Selection reads one immutable snapshot, so a
 * replica leaving or joining never shifts a read onto the wrong node mid-choice, and the long counter
 * is reduced with floorMod, so it can run forever without a negative index.
 *
 * @param <T> a replica
 */
final class ReadBalancer<T> {
    private final List<T> replicas;
    private final Predicate<T> eligible;
    private final IntFunction<T[]> newArray;
    private final AtomicLong next;
    private volatile T[] snapshot;

    ReadBalancer(List<T> replicas, Predicate<T> eligible, IntFunction<T[]> newArray) {
        this(replicas, eligible, newArray, 0);
    }

    /** Starts the counter at {@code start}; tests use it to cross the counter's overflow. */
    ReadBalancer(List<T> replicas, Predicate<T> eligible, IntFunction<T[]> newArray, long start) {
        this.replicas = replicas;
        this.eligible = eligible;
        this.newArray = newArray;
        this.next = new AtomicLong(start);
        refresh();
    }

    /** Re-reads which replicas are eligible; called whenever a node's status changes (serialized, so the last call wins). */
    synchronized void refresh() {
        snapshot = replicas.stream().filter(eligible).toArray(newArray);
    }

    /**
     * The eligible replicas now, to be tried from {@link #start(int)}: the snapshot itself, so the
     * per-read path allocates nothing.
     */
    T[] eligible() {
        return snapshot;
    }

    /** Where the next read starts in an array of {@code n} candidates: round robin, overflow-safe. */
    int start(int n) {
        return n <= 1 ? 0 : (int) Math.floorMod(next.getAndIncrement(), (long) n);
    }

    /** The replicas passing {@code filter} now, whatever their snapshot eligibility; tried from {@link #start(int)} too. */
    T[] eligible(Predicate<T> filter) {
        return replicas.stream().filter(filter).toArray(newArray);
    }
}
