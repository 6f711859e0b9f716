package io.fortress.db.internal.pool;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import io.fortress.db.internal.Threads;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The nodes statements can go to: the primary candidates (one pool each, created when it first becomes
 * the primary), which of them writes go to now, one pool per replica, and the read policy over the
 * replicas. Its members come from the configuration (DB_HOST, DB_REPLICA_HOSTS) or from Patroni, and
 * change through {@link #apply}: pools of new members are created, those of members that left are
 * closed once no read can choose them. The health checker changes it; statements read it.
 */
public final class Topology implements AutoCloseable {
    /** A node by the name it is known by (in health, metrics and logs) and its address. */
    public record Member(String name, HostAndPort address) {
    }

    private final DbConfig config;
    private final MeterRegistry registry;
    private final Map<HostAndPort, NodePool> primaryPools = new ConcurrentHashMap<>();
    private final List<Consumer<NodePool>> createdListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<NodePool>> retiredListeners = new CopyOnWriteArrayList<>();
    private volatile List<Member> candidates = List.of();
    private volatile List<NodePool> replicas = List.of();
    private volatile ReadPolicy<NodePool> readPolicy;
    private volatile NodePool primary;
    private volatile Consumer<NodePool> suspicion = node -> { };

    private Topology(DbConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    /** The members the configuration names: DB_HOST's candidates ({@code primary}, {@code primary-2}, ...) and DB_REPLICA_HOSTS' replicas. */
    public static Topology create(DbConfig config, MeterRegistry registry) {
        List<Member> candidates = new ArrayList<>();
        List<HostAndPort> hosts = config.primaryCandidates();
        for (int i = 0; i < hosts.size(); i++) {
            candidates.add(new Member(i == 0 ? "primary" : "primary-" + (i + 1), hosts.get(i)));
        }
        List<Member> replicas = new ArrayList<>();
        List<HostAndPort> replicaHosts = config.replicaHosts();
        for (int i = 0; i < replicaHosts.size(); i++) {
            replicas.add(new Member("replica-" + (i + 1), replicaHosts.get(i)));
        }
        return create(config, registry, candidates, replicas);
    }

    /** The given members; writes go to the first candidate until the health checker chooses another. */
    public static Topology create(DbConfig config, MeterRegistry registry, List<Member> candidates, List<Member> replicas) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("a topology needs at least one primary candidate");
        }
        Topology topology = new Topology(config, registry);
        topology.apply(candidates, replicas);
        topology.primary = topology.primaryPool(candidates.get(0).address());
        return topology;
    }

    /**
     * Makes these the members: a candidate that left gets no writes and its pool is closed (the current
     * primary's only once writes have moved elsewhere); a replica that left leaves the read policy first,
     * then its pool is closed; new replicas get pools (checked by the health checker before reads use them).
     *
     * @return true when anything changed
     */
    public synchronized boolean apply(List<Member> newCandidates, List<Member> newReplicas) {
        boolean changed = !newCandidates.equals(candidates);
        candidates = List.copyOf(newCandidates);
        List<NodePool> kept = new ArrayList<>();
        List<NodePool> retired = new ArrayList<>(replicas);
        for (Member m : newReplicas) {
            NodePool pool = replicas.stream().filter(r -> r.address().equals(m.address()) && r.name().equals(m.name())).findFirst()
                    .orElse(null);
            if (pool == null) {
                NodePool created = new NodePool(m.name(), NodeRole.REPLICA, m.address(), new NodeConnector(m.name(), m.address(), true, config),
                        config, registry, this::suspect);
                createdListeners.forEach(l -> l.accept(created));
                pool = created;
                changed = true;
            }
            retired.remove(pool);
            kept.add(pool);
        }
        changed |= !retired.isEmpty();
        if (!changed && readPolicy != null) {
            return false;
        }
        replicas = List.copyOf(kept);
        readPolicy = new ReadPolicy<>(replicas, config.replicaFallback(), config.maxFallbackLag(), NodePool[]::new);
        retired.forEach(this::retire);
        primaryPools.keySet().stream()
                .filter(a -> (primary == null || !primary.address().equals(a)) && candidates.stream().noneMatch(c -> c.address().equals(a)))
                .toList().forEach(a -> retire(primaryPools.remove(a)));
        return true;
    }

    /** Closes a pool no statement can choose any more, on a thread of its own: HikariCP's shutdown waits for connections in use. */
    private void retire(NodePool pool) {
        retiredListeners.forEach(l -> l.accept(pool));
        Threads.daemon("fortress-db-retire-" + pool.name(), pool::close).start();
    }

    /** The node writes go to now. */
    public NodePool primary() {
        return primary;
    }

    public List<NodePool> replicas() {
        return replicas;
    }

    /** Every pool: the primary candidates' that exist, in their order, then the replicas'. */
    public List<NodePool> pools() {
        List<NodePool> pools = new ArrayList<>();
        candidates.forEach(c -> existingPrimaryPool(c.address()).ifPresent(pools::add));
        NodePool current = primary;
        if (current != null && !pools.contains(current)) {
            pools.add(0, current); // the primary stays while writes go there, even once it left the candidates
        }
        pools.addAll(replicas);
        return pools;
    }

    /** How reads choose among the replicas. */
    public ReadPolicy<NodePool> readPolicy() {
        return readPolicy;
    }

    /** Every node that may be the primary, in order of preference. */
    public List<Member> primaryCandidates() {
        return candidates;
    }

    /** A connector for a primary candidate (primary session settings), for health checks; creates no pool. */
    public NodeConnector candidateConnector(Member candidate) {
        NodePool pool = primaryPools.get(candidate.address());
        return pool != null ? pool.connector() : new NodeConnector(candidate.name(), candidate.address(), false, config);
    }

    /** The pool of a primary candidate if it was created. */
    public Optional<NodePool> existingPrimaryPool(HostAndPort address) {
        return Optional.ofNullable(primaryPools.get(address));
    }

    /** The pool of a primary candidate, created on first use. */
    public NodePool primaryPool(HostAndPort address) {
        return primaryPools.computeIfAbsent(address, a -> {
            String name = candidates.stream().filter(c -> c.address().equals(a)).map(Member::name).findFirst().orElse(a.toString());
            NodePool pool = new NodePool(name, NodeRole.PRIMARY, a, new NodeConnector(name, a, false, config), config, registry, this::suspect);
            createdListeners.forEach(l -> l.accept(pool));
            return pool;
        });
    }

    /** Sends writes to another candidate from now on; the old primary's connections are retired (its pool too when it is no candidate any more). */
    public synchronized void switchPrimary(NodePool next) {
        NodePool previous = primary;
        if (next == previous) {
            return;
        }
        primary = next;
        previous.evictConnections();
        if (candidates.stream().noneMatch(c -> c.address().equals(previous.address()))) {
            primaryPools.remove(previous.address(), previous);
            retire(previous);
        }
    }

    /** Called with every pool created after start-up (a primary candidate, a new replica), e.g. to register its meters. */
    public void onPoolCreated(Consumer<NodePool> listener) {
        createdListeners.add(listener);
    }

    /** Called with every pool about to be closed because its node left the topology, e.g. to remove its meters. */
    public void onPoolRetired(Consumer<NodePool> listener) {
        retiredListeners.add(listener);
    }

    /**
     * Called with a node on which a statement lost its connection or waited out the pool, or on which a
     * write found a read-only node: the health checker looks at it at once.
     */
    public void onSuspicion(Consumer<NodePool> listener) {
        this.suspicion = listener;
    }

    void suspect(NodePool node) {
        suspicion.accept(node);
    }

    /** Re-reads which replicas are healthy; the health checker calls it after every state change. */
    public void refresh() {
        readPolicy.refresh();
    }

    @Override
    public void close() {
        primaryPools.values().forEach(NodePool::close);
        replicas.forEach(NodePool::close);
    }
}
