package io.fortress.db.internal.pool;

/** Why a read did not run on a replica of its consistency's first choice. */
public enum Reroute {
    /** No replica was healthy and within the maximum lag: the primary served the read. */
    NO_REPLICA,
    /** No replica was healthy; the least-lagged one within DB_MAX_FALLBACK_LAG served the read. */
    LEAST_LAGGED,
    /** No replica was healthy and no primary took writes: a standby that still answers served the read. */
    NO_PRIMARY,
    /** The read failed on a replica (connection lost, recovery conflict, pool timeout) and was retried. */
    RETRY,
    /** The read wrote (FOR UPDATE, nextval, ...) and was re-sent to the primary. */
    NEEDS_PRIMARY,
    /** No replica had replayed the caller's consistency token in time: the primary served the read. */
    TOKEN_NOT_REPLAYED,
    /** No replica was known to be within the caller's staleness bound: the primary served the read. */
    TOO_STALE
}
