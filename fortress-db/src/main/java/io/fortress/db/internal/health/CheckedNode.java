package io.fortress.db.internal.health;

import io.fortress.db.api.NodeHealth;

/** A node the health checker watches, with the counters its meters read. */
public interface CheckedNode {
    /** Why a check failed. */
    enum Failure {
        /** No connection could be opened. */
        CONNECT,
        /** The check ran past the health timeout. */
        TIMEOUT,
        /** The check query failed. */
        QUERY
    }

    NodeHealth health();

    /** Checks run so far. */
    long checks();

    /** Total time of those checks. */
    long checkNanos();

    /** Checks failed for the given reason. */
    long failures(Failure failure);
}
