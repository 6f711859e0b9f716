package io.fortress.db.internal.health;

/**
 * When the primary reached which WAL position: a ring buffer of samples taken on the primary by the
 * checker, with the checker's own monotonic clock. Each distinct position keeps the first and the last
 * time it was sampled.
 *
 * <p>A replica that replayed up to position R gives two figures:
 * <ul>
 *   <li>its <em>lag</em>, a lower bound: how long ago the primary was first seen past R (0 when no
 *       sample is past R). An idle primary gives 0 (its position does not move), a paused replay or
 *       a lost WAL receiver a lag that keeps growing, and no server clock is read, so clock skew
 *       cannot distort it.</li>
 *   <li>its <em>freshness</em>, the guarantee: the last time the primary was seen at a position at or
 *       before R. Everything the primary had committed by then is on the replica, so data read there
 *       is at most {@code now - freshness} old, whatever the sampling interval.</li>
 * </ul>
 */
final class WalHistory {
    private final long[] firstSeen;
    private final long[] lastSeen;
    private final long[] positions;
    private int start;
    private int size;

    WalHistory(int capacity) {
        firstSeen = new long[capacity];
        lastSeen = new long[capacity];
        positions = new long[capacity];
    }

    /** Records that the primary was at {@code lsn} at {@code nanoTime}. */
    void add(long nanoTime, long lsn) {
        add(nanoTime, nanoTime, lsn);
    }

    /**
     * Records a position read between {@code readStart} and {@code readEnd}: the primary was at it no
     * later than the end (what the lag takes) and had committed nothing beyond it at the start (what
     * the freshness takes). A repeat of the last position only moves its last-seen time.
     */
    synchronized void add(long readStart, long readEnd, long lsn) {
        if (size > 0 && positions[index(size - 1)] == lsn) {
            int last = index(size - 1);
            lastSeen[last] = Math.max(lastSeen[last], readStart);
            return;
        }
        if (size == positions.length) {
            start = (start + 1) % positions.length;
            size--;
        }
        int i = index(size);
        firstSeen[i] = readEnd;
        lastSeen[i] = readStart;
        positions[i] = lsn;
        size++;
    }

    /** Forgets every sample, e.g. when another node becomes the primary. */
    synchronized void clear() {
        start = 0;
        size = 0;
    }

    /** The latest position sampled, or -1 before the first sample. */
    synchronized long latest() {
        return size == 0 ? -1 : positions[index(size - 1)];
    }

    /**
     * How stale a replica that replayed up to {@code replayedLsn} is at {@code nowNanos} at least, in
     * nanoseconds; -1 when nothing has been sampled yet. When the replica is behind every sample still
     * held, the result is the age of the oldest one.
     */
    synchronized long stalenessNanos(long replayedLsn, long nowNanos) {
        if (size == 0) {
            return -1;
        }
        for (int n = 0; n < size; n++) {
            int i = index(n);
            if (Long.compareUnsigned(positions[i], replayedLsn) > 0) {
                return Math.max(0, nowNanos - firstSeen[i]);
            }
        }
        return 0;
    }

    /**
     * The last time (System.nanoTime) the primary was seen at or before {@code replayedLsn}: a replica
     * that replayed that far holds every commit made until then. Empty (Long.MIN_VALUE) when no sample
     * held is at or before it: the replica's freshness is unknown.
     */
    synchronized long freshAsOf(long replayedLsn) {
        long fresh = Long.MIN_VALUE;
        for (int n = 0; n < size; n++) {
            int i = index(n);
            if (Long.compareUnsigned(positions[i], replayedLsn) > 0) {
                break; // positions only grow
            }
            fresh = lastSeen[i];
        }
        return fresh;
    }

    private int index(int n) {
        return (start + n) % positions.length;
    }
}
