package io.fortress.db.internal.health;

import io.fortress.db.api.NodeState;

import java.time.Instant;

/**
 * Hysteresis over a node's observed states: a node in a good state enters a bad one only after
 * {@code fall} consecutive bad observations, and leaves a bad state only after {@code rise}
 * consecutive good ones. Within one class (bad to another bad, good to another good) the newest
 * observation is taken at once. The first observation is taken as it is. A conclusive bad observation
 * (one a second witness confirms, such as statements stalled on the node) is taken at once too, and so
 * is a confirmed good one (Patroni naming the node its leader as the check finds it takes writes).
 */
final class StateTracker {
    private final int fall;
    private final int rise;
    private NodeState state;
    private String reason;
    private Instant since;
    private int streak;
    private boolean pending;

    StateTracker(int fall, int rise) {
        this.fall = fall;
        this.rise = rise;
    }

    /** What changed with one observation. */
    record Change(NodeState from, NodeState to) {
        boolean changed() {
            return from != to;
        }
    }

    /** Takes one observation; returns the reported state before and after it. */
    synchronized Change observe(NodeState observed, String observedReason) {
        return observe(observed, observedReason, false);
    }

    /** Takes one observation, at once when it is bad and {@code conclusive}; returns the state before and after it. */
    synchronized Change observe(NodeState observed, String observedReason, boolean conclusive) {
        NodeState before = state;
        if (state == null || observed.isGood() == state.isGood() || (conclusive && !observed.isGood())) {
            accept(observed, observedReason);
        } else {
            streak++;
            int needed = observed.isGood() ? rise : fall;
            if (streak >= needed) {
                accept(observed, observedReason);
            } else {
                pending = true;
            }
        }
        return new Change(before, state);
    }

    /** Takes a good observation that a second witness confirms at once; returns the state before and after it. */
    synchronized Change confirm(NodeState observed, String observedReason) {
        if (!observed.isGood()) {
            throw new IllegalArgumentException("only a good state is confirmed, not " + observed);
        }
        NodeState before = state;
        accept(observed, observedReason);
        return new Change(before, state);
    }

    private void accept(NodeState observed, String observedReason) {
        if (observed != state) {
            since = Instant.now();
        }
        state = observed;
        reason = observedReason;
        streak = 0;
        pending = false;
    }

    synchronized NodeState state() {
        return state;
    }

    /** Why the node is in its reported state; during a pending change, also what was seen since. */
    synchronized String reason() {
        return reason;
    }

    synchronized Instant since() {
        return since;
    }

    /** True while observations disagree with the reported state but have not yet reached fall/rise. */
    synchronized boolean pending() {
        return pending;
    }

    /** Observations so far towards a pending change. */
    synchronized int streak() {
        return streak;
    }
}
