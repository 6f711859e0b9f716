package io.fortress.db.health;

/**
 * When the primary reached which WAL position: a ring buffer of (time, position) samples taken on the
 * primary by the checker, with the checker's own monotonic clock.
 *
 * <p>A replica's time lag is how long ago the primary first passed the position the replica has
 * replayed up to: {@code now - t}, where t is the time of the oldest sample beyond the replayed
 * position, or 0 when no sample is. So an idle primary gives 0 (its position does not move), a paused
 * replay or a lost WAL receiver gives a lag that keeps growing, and no clock of any server is read, so
 * clock skew between hosts cannot distort it. Resolution is the sampling interval.
 */
final class WalHistory {
    private final long[] times;
    private final long[] positions;
    private int start;
    private int size;

    WalHistory(int capacity) {
        times = new long[capacity];
        positions = new long[capacity];
    }

    /** Records that the primary was at {@code lsn} at {@code nanoTime}; repeats of the last position are dropped. */
    synchronized void add(long nanoTime, long lsn) {
        if (size > 0 && positions[index(size - 1)] == lsn) {
            return;
        }
        if (size == times.length) {
            start = (start + 1) % times.length;
            size--;
        }
        int i = index(size);
        times[i] = nanoTime;
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
     * How stale a replica that replayed up to {@code replayedLsn} is at {@code nowNanos}, in nanoseconds;
     * -1 when nothing has been sampled yet. When the replica is behind every sample still held, the
     * result is the age of the oldest one, a lower bound.
     */
    synchronized long stalenessNanos(long replayedLsn, long nowNanos) {
        if (size == 0) {
            return -1;
        }
        for (int n = 0; n < size; n++) {
            int i = index(n);
            if (Long.compareUnsigned(positions[i], replayedLsn) > 0) {
                return Math.max(0, nowNanos - times[i]);
            }
        }
        return 0;
    }

    private int index(int n) {
        return (start + n) % times.length;
    }
}
