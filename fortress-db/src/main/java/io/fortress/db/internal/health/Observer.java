package io.fortress.db.internal.health;

import io.fortress.db.api.NodeRole;
import io.fortress.db.api.NodeState;
import io.fortress.db.internal.pool.NodePool;
import java.sql.SQLException;
import java.time.Duration;

/**
 * One check's reading of one node, turned into an {@link Observation}: UP or DEMOTED for a primary
 * candidate (whose WAL position, when it is the primary, goes into the history), the classified state
 * of a replica, DOWN or UNREACHABLE when the check failed, and UNREACHABLE or DOWN too when the node
 * answers but its pool cannot open a connection (so no caller waits on an empty pool).
 */
record Observer(WalHistory history, Duration maxReplicaLag) {
    /** Reads the node and admits it; {@code current} tells whether it is the primary writes go to now. */
    Observation observe(Slot slot, boolean current, Duration checkTimeout) {
        Observation o = slot.role == NodeRole.PRIMARY ? observeCandidate(slot, current, checkTimeout) : observeReplica(slot, checkTimeout);
        return admit(slot, o, checkTimeout);
    }

    private Observation observeCandidate(Slot slot, boolean current, Duration checkTimeout) {
        try {
            long before = System.nanoTime();
            NodeProbe.PrimaryReading r = slot.probe.readPrimary(checkTimeout);
            if (r.inRecovery()) {
                return Observation.of(NodeState.DEMOTED, "in recovery: it is a standby now");
            }
            if (current) { // its WAL positions are what replica lag is measured against
                history.add(before, System.nanoTime(), r.walLsn());
            }
            return new Observation(NodeState.UP, "accepts writes (timeline " + r.timeline() + ")", null, null, null, null,
                    r.walLsn(), null, r.timeline(), Long.MIN_VALUE);
        } catch (SQLException e) {
            return Observation.failed(NodeState.DOWN, e);
        }
    }

    private Observation observeReplica(Slot slot, Duration checkTimeout) {
        NodeProbe.ReplicaReading r;
        try {
            r = slot.probe.readReplica(checkTimeout);
        } catch (SQLException e) {
            return Observation.failed(NodeState.UNREACHABLE, e);
        }
        if (slot.pool != null) {
            slot.pool.sessionsReadOnly(r.sessionsReadOnly());
        }
        Double lagSeconds = null;
        long freshAsOf = Long.MIN_VALUE;
        if (r.replayedLsn() != null) {
            long staleness = history.stalenessNanos(r.replayedLsn(), System.nanoTime());
            lagSeconds = staleness < 0 ? null : staleness / 1e9;
            freshAsOf = history.freshAsOf(r.replayedLsn());
        }
        Observation o = ReplicaClassifier.classify(r, new ReplicaClassifier.Context(history.latest(), lagSeconds, freshAsOf,
                slot.lastReplayed, slot.lastLagBytes, maxReplicaLag));
        if (o.state() != NodeState.PROMOTED) {
            slot.lastReplayed = r.replayedLsn();
            slot.lastLagBytes = o.lagBytes();
        }
        return o;
    }

    /**
     * A node that answers may take statements only once its pool can give them a connection: the pool
     * may connect to it again and, when it holds no connection, opens one now (which HikariCP
     * validates). A node whose pool cannot connect stays out of rotation, so no caller waits on an
     * empty pool.
     */
    private static Observation admit(Slot slot, Observation o, Duration checkTimeout) {
        NodePool pool = slot.pool;
        if (pool == null || !o.state().isReachable()) {
            return o;
        }
        try {
            pool.warm(checkTimeout);
            return o;
        } catch (SQLException e) {
            return Observation.failed(slot.role == NodeRole.PRIMARY ? NodeState.DOWN : NodeState.UNREACHABLE,
                    "answers checks, but its pool cannot open a connection: ", e);
        }
    }
}
