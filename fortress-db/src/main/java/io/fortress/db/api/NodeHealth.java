package io.fortress.db.api;

import java.time.Duration;
import java.time.Instant;

/**
 * One node as the health checker last saw it.
 *
 * @param name          {@code primary}, {@code replica-1}, ...
 * @param role          what the node is configured for
 * @param address       host and port
 * @param state         the state after hysteresis, which routing follows
 * @param reason        why the node is in that state, in words
 * @param since         when the node entered that state
 * @param lagSeconds    replicas: how far behind the primary the replayed data is, in seconds, measured
 *                      with the checker's own clock (no clock skew); null when unknown
 * @param lagBytes      replicas: WAL bytes not yet replayed; null when unknown
 * @param receiveLagBytes replicas: WAL bytes not yet received; null when unknown
 * @param walLsn        the primary's current WAL position, or the replica's replayed position; null when unknown
 * @param receivedLsn   replicas: the WAL position received; null when unknown or never streamed
 * @param timeline      the primary's timeline; null for replicas or when unknown
 * @param checkedAt     when the last check finished
 * @param checkDuration how long the last check took
 */
public record NodeHealth(String name, NodeRole role, HostAndPort address, NodeState state, String reason, Instant since,
                         Double lagSeconds, Long lagBytes, Long receiveLagBytes, Long walLsn, Long receivedLsn, Long timeline,
                         Instant checkedAt, Duration checkDuration) {

    /** The state a node has before its first check. */
    public static NodeHealth unchecked(String name, NodeRole role, HostAndPort address) {
        Instant now = Instant.now();
        return new NodeHealth(name, role, address, role == NodeRole.PRIMARY ? NodeState.UP : NodeState.STREAMING,
                "not checked yet", now, null, null, null, null, null, null, now, Duration.ZERO);
    }

    /** The replica's lag as a duration; null when unknown. */
    public Duration lag() {
        return lagSeconds == null ? null : Duration.ofNanos((long) (lagSeconds * 1e9));
    }
}
