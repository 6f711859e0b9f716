package io.fortress.db.internal.pool;

import io.fortress.db.api.NodeState;

/** What the read policy knows of a replica: its state, its measured lag and how fresh its data is known to be. */
public interface ReadTarget {
    NodeState state();

    /** The measured lag in seconds (a lower bound); null when unknown. */
    Double lagSeconds();

    /** The last time (System.nanoTime) the primary was seen at a position this replica replayed; Long.MIN_VALUE when unknown. */
    long freshAsOfNanos();
}
