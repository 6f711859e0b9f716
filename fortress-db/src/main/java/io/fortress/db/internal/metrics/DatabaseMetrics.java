package io.fortress.db.internal.metrics;

import io.fortress.db.api.NodeRole;
import io.fortress.db.internal.health.CheckedNode;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;
import io.fortress.db.internal.health.NodeChecks;
import io.fortress.db.internal.pool.HedgeCount;
import io.fortress.db.internal.pool.NodeCounters;
import io.fortress.db.internal.pool.NodePool;
import io.fortress.db.internal.pool.Reroute;
import io.fortress.db.internal.pool.Statements;
import io.fortress.db.internal.pool.Topology;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The layer's Micrometer meters. They read the same counters as {@code Database.stats()} and the
 * health checker's snapshot, so the statement path pays for one set of counters only. Names follow
 * Prometheus conventions once exported: counters end in {@code _total}, durations are in
 * {@code _seconds}, sizes in {@code _bytes}; no label holds SQL text or parameters.
 *
 * <table>
 * <caption>Meters (tags: node = primary|primary-N|replica-N, role = primary|replica)</caption>
 * <tr><td>fortress_db_queries_total</td><td>statements run, per node</td></tr>
 * <tr><td>fortress_db_query_errors_total</td><td>statements failed, per node</td></tr>
 * <tr><td>fortress_db_slow_queries_total</td><td>statements at or over the slow-query threshold</td></tr>
 * <tr><td>fortress_db_query_duration_seconds</td><td>count and sum of statement time</td></tr>
 * <tr><td>fortress_db_pool_wait_seconds</td><td>count and sum of borrows that waited 1 ms or more for a connection</td></tr>
 * <tr><td>fortress_db_aborted_statements_total</td><td>connections in use aborted when their node stopped answering</td></tr>
 * <tr><td>fortress_db_pool_connections_closed_total</td><td>closed connections by reason (idle, lifetime, other)</td></tr>
 * <tr><td>fortress_db_node_up</td><td>1 while the node takes statements (primary UP, replica STREAMING)</td></tr>
 * <tr><td>fortress_db_node_state</td><td>1 for the node's current state (tag state), 0 for the others</td></tr>
 * <tr><td>fortress_db_replication_lag_seconds</td><td>replica lag in seconds (NaN when unknown)</td></tr>
 * <tr><td>fortress_db_replication_lag_bytes</td><td>replica lag in WAL bytes, kind=replay|receive</td></tr>
 * <tr><td>fortress_db_health_check_seconds</td><td>count and sum of health check time, per node</td></tr>
 * <tr><td>fortress_db_health_check_failures_total</td><td>failed checks by reason (connect, timeout, query)</td></tr>
 * <tr><td>fortress_db_role_changes_total</td><td>times writes moved to another primary candidate</td></tr>
 * <tr><td>fortress_db_max_replica_lag_seconds</td><td>the DB_MAX_REPLICA_LAG setting</td></tr>
 * <tr><td>fortress_db_read_reroutes_total</td><td>reads not served by a replica of their first choice, by reason</td></tr>
 * <tr><td>fortress_db_read_hedges_total</td><td>hedges sent: reads that had not answered after their hedge delay, sent to a second node</td></tr>
 * <tr><td>fortress_db_read_hedges_won_total</td><td>hedges that answered first</td></tr>
 * <tr><td>fortress_db_read_hedges_denied_total</td><td>reads due for a hedge that the hedging budget refused one</td></tr>
 * <tr><td>fortress_db_read_hedges_unsent_total</td><td>reads due for a hedge that got none: every hedge thread was busy</td></tr>
 * <tr><td>fortress_db_read_hedge_cancels_total</td><td>cancel requests sent to the losing attempt of a hedged read</td></tr>
 * <tr><td>fortress_db_read_hedge_cancels_unanswered_total</td><td>cancels not answered in time: the connection was aborted</td></tr>
 * <tr><td>fortress_db_read_hedge_aborts_total</td><td>losing attempts aborted without a cancel: their node had cancels unanswered already</td></tr>
 * </table>
 * HikariCP adds its own {@code hikaricp_connections_*} meters per pool ({@code pool=primary|replica-N}).
 */
public final class DatabaseMetrics implements AutoCloseable {
    private static final Set<NodeState> PRIMARY_STATES = EnumSet.of(NodeState.UP, NodeState.DOWN, NodeState.DEMOTED);
    private static final Set<NodeState> REPLICA_STATES = EnumSet.complementOf(EnumSet.copyOf(PRIMARY_STATES));

    private final MeterRegistry registry;
    private final List<Meter> meters = new CopyOnWriteArrayList<>();

    private DatabaseMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers the meters of every pool of the topology (and of pools it creates later), of the statements and of every checked node. */
    public static DatabaseMetrics bind(Topology topology, Statements statements, NodeChecks health, java.time.Duration maxReplicaLag,
                                       MeterRegistry registry) {
        DatabaseMetrics metrics = new DatabaseMetrics(registry);
        topology.pools().forEach(metrics::bindPool);
        topology.onPoolCreated(metrics::bindPool);
        topology.onPoolRetired(pool -> metrics.forget(pool.name(), pool.role()));
        health.checkedNodes().forEach(metrics::bindCheckedNode);
        health.onWatched(metrics::bindCheckedNode, node -> metrics.forget(node.health().name(), node.health().role()));
        for (Reroute reason : Reroute.values()) {
            metrics.meters.add(FunctionCounter.builder("fortress.db.read.reroutes", statements, s -> s.reroutes(reason))
                    .tag("reason", reason.name().toLowerCase(Locale.ROOT))
                    .description("Reads not served by a replica of their consistency's first choice").register(registry));
        }
        metrics.hedgeCounter(statements, HedgeCount.SENT, "fortress.db.read.hedges",
                "Hedges sent: reads that had not answered after their hedge delay, sent to a second node of the same consistency");
        metrics.hedgeCounter(statements, HedgeCount.WON, "fortress.db.read.hedges.won", "Hedges that answered first");
        metrics.hedgeCounter(statements, HedgeCount.DENIED, "fortress.db.read.hedges.denied",
                "Reads due for a hedge that the hedging budget (DB_HEDGE_BUDGET) refused one");
        metrics.hedgeCounter(statements, HedgeCount.UNSENT, "fortress.db.read.hedges.unsent",
                "Reads due for a hedge that got none: every hedge thread was busy");
        metrics.hedgeCounter(statements, HedgeCount.CANCELS, "fortress.db.read.hedge.cancels",
                "Cancel requests sent to the losing attempt of a hedged read");
        metrics.hedgeCounter(statements, HedgeCount.CANCELS_UNANSWERED, "fortress.db.read.hedge.cancels.unanswered",
                "Cancel requests the node did not answer in time, whose connection was aborted instead");
        metrics.hedgeCounter(statements, HedgeCount.ABORTS, "fortress.db.read.hedge.aborts",
                "Losing attempts aborted without a cancel request: their node had cancel requests unanswered already");
        metrics.meters.add(FunctionCounter.builder("fortress.db.role.changes", health, NodeChecks::roleChanges)
                .description("Times writes moved to another primary candidate").register(registry));
        // the setting itself, so that an alert compares each replica's lag with it (deploy/prometheus/fortress-rules.yml)
        metrics.meters.add(Gauge.builder("fortress.db.max.replica.lag", maxReplicaLag, d -> d.toMillis() / 1000.0).baseUnit("seconds")
                .description("DB_MAX_REPLICA_LAG: default reads skip a replica lagging more").strongReference(true).register(registry));
        return metrics;
    }

    private void hedgeCounter(Statements statements, HedgeCount what, String name, String description) {
        meters.add(FunctionCounter.builder(name, statements, s -> s.hedges(what)).description(description).register(registry));
    }

    private void bindPool(NodePool node) {
        Tags tags = tags(node.name(), node.role());
        NodeCounters c = node.counters();
        counter("fortress.db.queries", tags, c, NodeCounters::queries, "Statements run");
        counter("fortress.db.query.errors", tags, c, NodeCounters::errors, "Statements that failed");
        counter("fortress.db.slow.queries", tags, c, NodeCounters::slowQueries, "Statements at or over the slow-query threshold");
        counter("fortress.db.aborted.statements", tags, c, NodeCounters::aborted,
                "Connections in use when the node stopped answering, aborted so that their statements failed at once");
        meters.add(FunctionTimer.builder("fortress.db.query.duration", c, NodeCounters::queries,
                        NodeCounters::latencyNanos, TimeUnit.NANOSECONDS)
                .tags(tags).description("Time of statements, from asking for a connection to the last row").register(registry));
        meters.add(FunctionTimer.builder("fortress.db.pool.wait", c, NodeCounters::waits, NodeCounters::waitNanos, TimeUnit.NANOSECONDS)
                .tags(tags).description("Borrows that waited 1 ms or more for a connection, and how long they waited").register(registry));
        counter("fortress.db.pool.connections.closed", tags.and("reason", "idle"), c, NodeCounters::idleClosed,
                "Connections closed, by reason");
        counter("fortress.db.pool.connections.closed", tags.and("reason", "lifetime"), c, NodeCounters::lifetimeClosed,
                "Connections closed, by reason");
        counter("fortress.db.pool.connections.closed", tags.and("reason", "other"), c, NodeCounters::otherClosed,
                "Connections closed, by reason");
        meters.add(Gauge.builder("fortress.db.node.up", node, n -> n.isGood() ? 1 : 0)
                .tags(tags).description("1 while the node takes statements (primary UP, replica STREAMING)").register(registry));
    }

    private void bindCheckedNode(CheckedNode node) {
        NodeHealth h = node.health();
        Tags tags = tags(h.name(), h.role());
        for (NodeState state : h.role() == NodeRole.PRIMARY ? PRIMARY_STATES : REPLICA_STATES) {
            gauge("fortress.db.node.state", tags.and("state", state.name().toLowerCase(Locale.ROOT)), node,
                    n -> n.health().state() == state ? 1 : 0, null, "1 for the node's current state, 0 for the others");
        }
        if (h.role() == NodeRole.REPLICA) {
            gauge("fortress.db.replication.lag", tags, node, n -> orNaN(n.health().lagSeconds()), "seconds",
                    "How far behind the primary the replica's replayed data is");
            gauge("fortress.db.replication.lag.bytes", tags.and("kind", "replay"), node, n -> orNaN(n.health().lagBytes()), null,
                    "WAL bytes the replica has not replayed (replay) or not received (receive)");
            gauge("fortress.db.replication.lag.bytes", tags.and("kind", "receive"), node, n -> orNaN(n.health().receiveLagBytes()), null,
                    "WAL bytes the replica has not replayed (replay) or not received (receive)");
        }
        meters.add(FunctionTimer.builder("fortress.db.health.check", node, CheckedNode::checks, CheckedNode::checkNanos,
                TimeUnit.NANOSECONDS).tags(tags).description("Health checks and their time").register(registry));
        for (CheckedNode.Failure failure : CheckedNode.Failure.values()) {
            meters.add(FunctionCounter.builder("fortress.db.health.check.failures", node, n -> n.failures(failure))
                    .tags(tags.and("reason", failure.name().toLowerCase(Locale.ROOT)))
                    .description("Failed health checks, by reason").register(registry));
        }
    }

    /** Removes the meters of a node that left the topology. */
    private void forget(String node, NodeRole role) {
        String roleTag = role.name().toLowerCase(Locale.ROOT);
        for (Meter m : meters) {
            if (node.equals(m.getId().getTag("node")) && roleTag.equals(m.getId().getTag("role"))) {
                registry.remove(m);
                meters.remove(m);
            }
        }
    }

    private static Tags tags(String node, NodeRole role) {
        return Tags.of("node", node, "role", role.name().toLowerCase(Locale.ROOT));
    }

    private static double orNaN(Number n) {
        return n == null ? Double.NaN : n.doubleValue();
    }

    private <T> void gauge(String name, Tags tags, T source, ToDoubleFunction<T> value, String unit, String description) {
        Gauge.Builder<T> builder = Gauge.builder(name, source, value).tags(tags).description(description);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        meters.add(builder.register(registry));
    }

    private void counter(String name, Tags tags, NodeCounters counters, ToLongFunction<NodeCounters> value, String description) {
        meters.add(FunctionCounter.builder(name, counters, c -> value.applyAsLong(c)).tags(tags).description(description).register(registry));
    }

    /** Removes the meters, e.g. when the Database closes. */
    @Override
    public void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
