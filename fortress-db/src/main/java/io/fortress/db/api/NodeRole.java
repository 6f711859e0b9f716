package io.fortress.db.api;

/** What a node is for. */
public enum NodeRole {
    /** Takes writes and transactions. */
    PRIMARY,
    /** A streaming replica: takes autocommit reads and read-only transactions. */
    REPLICA
}
