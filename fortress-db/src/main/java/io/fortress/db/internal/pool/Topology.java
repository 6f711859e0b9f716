package io.fortress.db.internal.pool;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The nodes statements can go to: one pool per replica, one per primary candidate that was ever the
 * primary (created on first use), which of them writes go to now, and the read policy over the
 * replicas. The health checker changes it; statements read it.
 */
public final class Topology implements AutoCloseable {
    private final DbConfig config;
    private final MeterRegistry registry;
    private final List<HostAndPort> candidates;
    private final Map<HostAndPort, NodePool> primaryPools = new ConcurrentHashMap<>();
    private final List<NodePool> replicas;
    private final ReadPolicy<NodePool> readPolicy;
    private final List<Consumer<NodePool>> poolListeners = new CopyOnWriteArrayList<>();
    private volatile NodePool primary;
    private volatile Consumer<NodePool> suspicion = node -> { };

    private Topology(DbConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
        this.candidates = config.primaryCandidates();
        this.primary = primaryPool(candidates.get(0));
        List<NodePool> list = new ArrayList<>();
        List<HostAndPort> hosts = config.replicaHosts();
        for (int i = 0; i < hosts.size(); i++) {
            String name = "replica-" + (i + 1);
            list.add(new NodePool(name, NodeRole.REPLICA, hosts.get(i), new NodeConnector(name, hosts.get(i), true, config), config, registry));
        }
        this.replicas = List.copyOf(list);
        this.readPolicy = new ReadPolicy<>(replicas, config.replicaFallback(), config.maxFallbackLag(), NodePool[]::new);
    }

    /** Creates the pools of the first primary candidate and of every replica; the health checker then checks them. */
    public static Topology create(DbConfig config, MeterRegistry registry) {
        return new Topology(config, registry);
    }

    /** The node writes go to now. */
    public NodePool primary() {
        return primary;
    }

    public List<NodePool> replicas() {
        return replicas;
    }

    /** Every pool: the primary candidates' that exist, in configured order, then the replicas'. */
    public List<NodePool> pools() {
        List<NodePool> pools = new ArrayList<>();
        candidates.forEach(a -> existingPrimaryPool(a).ifPresent(pools::add));
        pools.addAll(replicas);
        return pools;
    }

    /** How reads choose among the replicas. */
    public ReadPolicy<NodePool> readPolicy() {
        return readPolicy;
    }

    /** Every address that may be the primary (DB_HOST), in configured order. */
    public List<HostAndPort> primaryCandidates() {
        return candidates;
    }

    /** The name of the candidate at {@code address}: {@code primary}, then {@code primary-2}, ... */
    public String candidateName(HostAndPort address) {
        int i = candidates.indexOf(address);
        return i == 0 ? "primary" : "primary-" + (i + 1);
    }

    /** A connector for a primary candidate (primary session settings), for health checks; creates no pool. */
    public NodeConnector candidateConnector(HostAndPort address) {
        NodePool pool = primaryPools.get(address);
        return pool != null ? pool.connector() : new NodeConnector(candidateName(address), address, false, config);
    }

    /** The pool of a primary candidate if it was created. */
    public Optional<NodePool> existingPrimaryPool(HostAndPort address) {
        return Optional.ofNullable(primaryPools.get(address));
    }

    /** The pool of a primary candidate, created on first use. */
    public NodePool primaryPool(HostAndPort address) {
        return primaryPools.computeIfAbsent(address, a -> {
            String name = candidateName(a);
            NodePool pool = new NodePool(name, NodeRole.PRIMARY, a, new NodeConnector(name, a, false, config), config, registry);
            poolListeners.forEach(l -> l.accept(pool));
            return pool;
        });
    }

    /** Sends writes to another candidate from now on; the old primary's connections are retired. */
    public void switchPrimary(NodePool next) {
        NodePool previous = primary;
        if (next == previous) {
            return;
        }
        primary = next;
        previous.evictConnections();
    }

    /** Called with every pool created after start-up (a primary candidate), e.g. to register its meters. */
    public void onPoolCreated(Consumer<NodePool> listener) {
        poolListeners.add(listener);
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
