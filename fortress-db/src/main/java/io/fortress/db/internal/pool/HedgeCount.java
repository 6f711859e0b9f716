package io.fortress.db.internal.pool;

/** What hedged reads count (see {@link Statements#hedges(HedgeCount)}). */
public enum HedgeCount {
    /** Hedges sent: a read that had not answered after its hedge delay went to a second node too. */
    SENT,
    /** Hedges that answered first. */
    WON,
    /** Reads due for a hedge that the budget refused one. */
    DENIED,
    /** Reads due for a hedge that got none: every hedge thread was busy. */
    UNSENT,
    /** Cancel requests sent to the attempt that lost. */
    CANCELS,
    /** Cancel requests the node did not answer in time: the losing attempt's connection was aborted. */
    CANCELS_UNANSWERED,
    /**
     * Attempts that lost, aborted without a cancel request: their node left {@link Hedger#CANCELS_IN_FLIGHT_PER_NODE}
     * requests unanswered already, or no thread was free to send one.
     */
    ABORTS
}
