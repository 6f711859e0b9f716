package io.fortress.db.api;

/**
 * What the health checker last concluded about a node. The primary is {@link #UP}, {@link #DOWN}
 * or {@link #DEMOTED}; a replica is one of the others. Only {@link #UP} primaries take writes and only
 * {@link #STREAMING} replicas take reads of the default consistency.
 */
public enum NodeState {
    /** The primary answers and accepts writes. */
    UP(true, true),
    /** The primary does not answer. */
    DOWN(false, false),
    /** The node configured as primary is in recovery: it became a standby. */
    DEMOTED(false, true),
    /** The replica streams WAL and replays it within the maximum lag. */
    STREAMING(true, true),
    /** The replica is behind by more than the maximum lag but gaining ground. */
    CATCHING_UP(false, true),
    /** The replica is behind by more than the maximum lag and not gaining ground. */
    LAGGING(false, true),
    /** WAL replay is paused on the replica; it falls further behind with every write. */
    REPLAY_PAUSED(false, true),
    /** The replica answers but receives no WAL: no WAL receiver is running or streaming. */
    RECEIVER_DOWN(false, true),
    /** The node listed as a replica is not in recovery: it was promoted. */
    PROMOTED(false, true),
    /** The replica does not answer. */
    UNREACHABLE(false, false);

    private final boolean good;
    private final boolean reachable;

    NodeState(boolean good, boolean reachable) {
        this.good = good;
        this.reachable = reachable;
    }

    /** True for the states in which a node does its job (UP, STREAMING). */
    public boolean isGood() {
        return good;
    }

    /** True when the node answered its last check. */
    public boolean isReachable() {
        return reachable;
    }
}
