package io.fortress.db.internal.pool;

import java.util.concurrent.atomic.LongAdder;

/**
 * A node's recent statement latency, for the hedge delay: statements are counted into log-linear buckets
 * (eight per power of two, so within 12.5 %) for one window at a time; when the window closes its 99th
 * percentile becomes the estimate. Recording is one contention-free increment; everything else runs on
 * the hedging timer's thread.
 */
final class LatencyWindow {
    /** A window with fewer statements says too little about the tail: the previous estimate stays. */
    static final long MIN_SAMPLES = 20;
    static final double PERCENTILE = 0.99;
    private static final int SUB_BUCKETS = 8;
    private static final int BUCKETS = SUB_BUCKETS + SUB_BUCKETS * 40;

    private volatile LongAdder[] current = buckets();
    private LongAdder[] spare = buckets();
    private volatile long percentileNanos = -1;

    /** Counts one statement of this node. */
    void record(long nanos) {
        current[bucket(nanos)].increment();
    }

    /** The 99th percentile of the last window that held enough statements; -1 while none did. */
    long percentileNanos() {
        return percentileNanos;
    }

    /** Closes the window and starts the next (one thread at a time: the hedging timer's). */
    void rotate() {
        LongAdder[] closed = current;
        current = spare;
        long[] counts = new long[BUCKETS];
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] = closed[i].sumThenReset();
            total += counts[i];
        }
        spare = closed; // a statement still counting into it lands in the next window but one: harmless for an estimate
        if (total < MIN_SAMPLES) {
            return;
        }
        long rank = (long) Math.ceil(total * PERCENTILE);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                percentileNanos = upperEdgeNanos(i);
                return;
            }
        }
    }

    /** The bucket of a duration: microseconds (of 1024 ns) below 8 one each, then eight per power of two. */
    static int bucket(long nanos) {
        long micros = Math.max(0, nanos) >>> 10;
        if (micros < SUB_BUCKETS) {
            return (int) micros;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(micros); // at least 3
        int sub = (int) (micros >>> (exponent - 3)) & (SUB_BUCKETS - 1);
        return Math.min(BUCKETS - 1, SUB_BUCKETS + (exponent - 3) * SUB_BUCKETS + sub);
    }

    /** The longest duration a bucket holds: the estimate errs on the late side, which hedges less. */
    static long upperEdgeNanos(int bucket) {
        if (bucket < SUB_BUCKETS) {
            return (bucket + 1L) << 10;
        }
        int exponent = (bucket - SUB_BUCKETS) / SUB_BUCKETS + 3;
        int sub = (bucket - SUB_BUCKETS) % SUB_BUCKETS;
        return ((SUB_BUCKETS + sub + 1L) << (exponent - 3)) << 10;
    }

    private static LongAdder[] buckets() {
        LongAdder[] buckets = new LongAdder[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            buckets[i] = new LongAdder();
        }
        return buckets;
    }
}
