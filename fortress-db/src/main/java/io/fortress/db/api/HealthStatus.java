package io.fortress.db.api;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot of every node's health, as a health check returns it. Reading it never queries a
 * database; {@link #age()} says how old it is.
 *
 * @param primaryHealthy whether the primary takes writes
 * @param primary        the primary's health
 * @param replicas       each replica's health, in configuration order
 * @param takenAt        when the oldest of its node checks finished
 * @param patroni        the members as Patroni last listed them (empty without DB_PATRONI_URL), beside fortress's own view
 */
public record HealthStatus(boolean primaryHealthy, NodeHealth primary, List<NodeHealth> replicas, Instant takenAt,
                           List<PatroniMember> patroni) {

    /**
     * A member as Patroni's {@code GET /cluster} last listed it.
     *
     * @param lagBytes Patroni's own lag figure (from its DCS, refreshed every loop_wait); null on the leader or when unknown
     */
    public record PatroniMember(String name, String role, String state, HostAndPort address, Long timeline, Long lagBytes) {
    }

    /** A status without Patroni's view. */
    public HealthStatus(boolean primaryHealthy, NodeHealth primary, List<NodeHealth> replicas, Instant takenAt) {
        this(primaryHealthy, primary, replicas, takenAt, List.of());
    }

    /** How old the snapshot is: the time since its oldest node check finished. */
    public Duration age() {
        return Duration.between(takenAt, Instant.now());
    }

    /** Every node: the primary first, then the replicas in configuration order. */
    public List<NodeHealth> nodes() {
        List<NodeHealth> all = new ArrayList<>(1 + replicas.size());
        all.add(primary);
        all.addAll(replicas);
        return all;
    }

    /** The replicas that take reads of the default consistency. */
    public List<NodeHealth> streamingReplicas() {
        return replicas.stream().filter(r -> r.state() == NodeState.STREAMING).toList();
    }
}
