package io.fortress.db.internal.health;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import io.fortress.db.internal.pool.NodeConnector;
import io.fortress.db.internal.pool.NodePool;
import io.fortress.db.internal.pool.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The nodes the checks watch: a slot per primary candidate and per replica pool of the topology,
 * kept in step with its members (a slot for each new one; those that left are closed).
 */
final class Slots {
    private final Topology topology;
    private final DbConfig config;
    /** Immutable lists, replaced whole when the members change. */
    private volatile List<Slot> candidates = List.of();
    private volatile List<Slot> replicas = List.of();
    private volatile Consumer<CheckedNode> watched = n -> { };
    private volatile Consumer<CheckedNode> unwatched = n -> { };

    Slots(Topology topology, DbConfig config) {
        this.topology = topology;
        this.config = config;
        sync();
    }

    List<Slot> candidates() {
        return candidates;
    }

    List<Slot> replicas() {
        return replicas;
    }

    /** The primary candidates, then the replicas. */
    List<Slot> all() {
        List<Slot> all = new ArrayList<>(candidates);
        all.addAll(replicas);
        return all;
    }

    /** Watches exactly the topology's members. */
    synchronized void sync() {
        List<Slot> oldCandidates = candidates;
        List<Slot> oldReplicas = replicas;
        List<Slot> nextCandidates = new ArrayList<>();
        for (Topology.Member m : topology.primaryCandidates()) {
            Slot slot = oldCandidates.stream().filter(c -> c.address.equals(m.address()) && c.name.equals(m.name())).findFirst().orElse(null);
            if (slot == null) {
                NodeConnector connector = topology.candidateConnector(m);
                slot = new Slot(m.name(), NodeRole.PRIMARY, m.address(), new NodeProbe(connector), new NodeProbe(connector),
                        topology.existingPrimaryPool(m.address()).orElse(null), config.healthFall(), config.healthRise());
            }
            nextCandidates.add(slot);
        }
        HostAndPort writesGo = topology.primary() == null ? null : topology.primary().address();
        oldCandidates.stream().filter(c -> c.address.equals(writesGo) && !nextCandidates.contains(c)).findFirst()
                .ifPresent(nextCandidates::add); // watched while writes go there, even once it left the candidates
        List<Slot> nextReplicas = new ArrayList<>();
        for (NodePool pool : topology.replicas()) {
            nextReplicas.add(oldReplicas.stream().filter(r -> r.pool == pool).findFirst().orElseGet(() -> new Slot(pool.name(),
                    NodeRole.REPLICA, pool.address(), new NodeProbe(pool.connector()), null, pool, config.healthFall(), config.healthRise())));
        }
        candidates = List.copyOf(nextCandidates);
        replicas = List.copyOf(nextReplicas);
        List<Slot> left = new ArrayList<>(oldCandidates);
        left.addAll(oldReplicas);
        left.removeAll(nextCandidates);
        left.removeAll(nextReplicas);
        List<Slot> added = new ArrayList<>(nextCandidates);
        added.addAll(nextReplicas);
        added.removeAll(oldCandidates);
        added.removeAll(oldReplicas);
        left.forEach(slot -> {
            slot.close();
            unwatched.accept(slot);
        });
        if (!oldCandidates.isEmpty()) {
            added.forEach(watched); // the first members are bound from checkedNodes()
        }
    }

    /** Called with each node watched from now on after a change of members, and with each no longer watched. */
    void onWatched(Consumer<CheckedNode> added, Consumer<CheckedNode> removed) {
        this.watched = added;
        this.unwatched = removed;
    }

    /** The slot of the node writes go to now. */
    Slot primary() {
        HostAndPort current = topology.primary().address();
        for (Slot slot : candidates) {
            if (slot.address.equals(current)) {
                return slot;
            }
        }
        throw new IllegalStateException("the primary " + current + " is no primary candidate");
    }

    /** The slot watching a pool's node. */
    Optional<Slot> of(NodePool pool) {
        for (Slot slot : replicas) {
            if (slot.pool == pool) {
                return Optional.of(slot);
            }
        }
        for (Slot slot : candidates) {
            if (slot.address.equals(pool.address()) && pool.role() == NodeRole.PRIMARY) {
                return Optional.of(slot);
            }
        }
        return Optional.empty();
    }

    void close() {
        candidates.forEach(Slot::close);
        replicas.forEach(Slot::close);
    }
}
