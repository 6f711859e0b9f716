package io.fortress.db.internal.pool;

/**
 * How many hedges may be sent: at most a share of the reads started over the last ten seconds, counted
 * in one-second slots, so that a slowdown of every node (when every read is late) cannot double the
 * load, while a single hung node, which makes only its own share of reads late, is hedged around.
 * Used by the hedging timer's thread only.
 */
final class HedgeBudget {
    static final int SLOTS = 10;

    private final double fraction;
    /** The number of reads started before each slot began. */
    private final long[] readsBefore = new long[SLOTS];
    private final long[] hedges = new long[SLOTS];
    private int slot;

    HedgeBudget(double fraction) {
        this.fraction = fraction;
    }

    /** Starts the next one-second slot; {@code readsStarted} is the count of reads started so far. */
    void rotate(long readsStarted) {
        slot = (slot + 1) % SLOTS;
        readsBefore[slot] = readsStarted;
        hedges[slot] = 0;
    }

    /** Takes one hedge from the budget when the window's reads allow it; {@code readsStarted} as for {@link #rotate}. */
    boolean tryAcquire(long readsStarted) {
        long reads = readsStarted - readsBefore[(slot + 1) % SLOTS];
        long sent = 0;
        for (long h : hedges) {
            sent += h;
        }
        if (sent + 1 > fraction * reads) {
            return false;
        }
        hedges[slot]++;
        return true;
    }
}
