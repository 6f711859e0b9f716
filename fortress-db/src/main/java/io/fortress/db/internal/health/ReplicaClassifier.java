package io.fortress.db.internal.health;

import io.fortress.db.api.NodeState;

import io.fortress.db.api.Durations;
import io.fortress.db.internal.Lsn;
import java.time.Duration;
import java.util.Locale;

/**
 * A replica's state from what it says about itself and what is known of the primary: a pure function,
 * no I/O. In order: not in recovery is PROMOTED; no WAL receiver, or one that is not streaming, is
 * RECEIVER_DOWN; paused replay is REPLAY_PAUSED; a lag over the maximum is CATCHING_UP while the
 * replica gains ground since the previous check and LAGGING otherwise; anything else is STREAMING.
 */
final class ReplicaClassifier {
    private ReplicaClassifier() {
    }

    /** What is known besides the replica's own reading. */
    record Context(long primaryLsn, Double lagSeconds, long freshAsOf, Long previousReplayed, Long previousLagBytes, Duration maxLag) {
    }

    /**
     * @param primaryLsn the primary's latest sampled WAL position, -1 when none was sampled yet
     */
    static Observation classify(NodeProbe.ReplicaReading r, Context c) {
        if (!r.inRecovery()) {
            return Observation.of(NodeState.PROMOTED, "not in recovery: it was promoted and is no standby any more");
        }
        Long lagBytes = r.replayedLsn() != null && c.primaryLsn() >= 0 ? Lsn.distance(r.replayedLsn(), c.primaryLsn()) : null;
        Long receiveLagBytes = r.receivedLsn() != null && c.primaryLsn() >= 0 ? Lsn.distance(r.receivedLsn(), c.primaryLsn()) : null;
        Double lagSeconds = lagBytes == null ? null : c.lagSeconds();
        NodeState state;
        String reason;
        if (r.receiverPid() == null) {
            state = NodeState.RECEIVER_DOWN;
            reason = "no WAL receiver is running: the replica cannot reach its upstream, or replication is not configured";
        } else if (r.receiverStatus() != null && !r.receiverStatus().equals("streaming")) {
            state = NodeState.RECEIVER_DOWN;
            reason = "the WAL receiver is " + r.receiverStatus() + ", not streaming";
        } else if (r.replayPaused()) {
            state = NodeState.REPLAY_PAUSED;
            reason = "WAL replay is paused (pg_wal_replay_pause); resume it with pg_wal_replay_resume()";
        } else if (lagSeconds != null && lagSeconds > c.maxLag().toNanos() / 1e9) {
            boolean gaining = c.previousReplayed() != null && Long.compareUnsigned(r.replayedLsn(), c.previousReplayed()) > 0
                    && c.previousLagBytes() != null && lagBytes < c.previousLagBytes();
            state = gaining ? NodeState.CATCHING_UP : NodeState.LAGGING;
            reason = String.format(Locale.ROOT, "%.1f s behind (%d bytes), over the maximum lag of %s%s", lagSeconds, lagBytes,
                    Durations.format(c.maxLag()), gaining ? ", gaining ground" : "");
        } else {
            state = NodeState.STREAMING;
            reason = lagSeconds == null ? "streaming" : String.format(Locale.ROOT, "streaming, %.1f s behind", lagSeconds);
        }
        return new Observation(state, reason, null, lagSeconds, lagBytes, receiveLagBytes, r.replayedLsn(), r.receivedLsn(), null,
                c.freshAsOf());
    }
}
