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
 */
public record HealthStatus(boolean primaryHealthy, NodeHealth primary, List<NodeHealth> replicas, Instant takenAt) {

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
