package io.fortress.db.api;

/**
 * A read-your-writes read was given a token that names a WAL position past the primary's current one: no write of this
 * cluster produced it. It was forged, corrupted, or comes from another cluster (or from before a failover or restore that
 * lost the write). Refused at once rather than waited for, so that such tokens cannot tie up the replicas' connections.
 */
public final class InvalidConsistencyTokenException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final transient ConsistencyToken token;

    public InvalidConsistencyTokenException(ConsistencyToken token, ConsistencyToken primaryPosition) {
        super("consistency token " + token + " names a WAL position past the primary's current one (" + primaryPosition
                + "): no write of this cluster produced it (forged, corrupted, from another cluster, or from before a failover "
                + "or restore that lost the write); read with a token from Database.consistencyToken(), or without one");
        this.token = token;
    }

    /** The refused token. */
    public ConsistencyToken token() {
        return token;
    }
}
