package io.fortress.db.metrics;

import io.fortress.db.pool.NodeCounters;
import io.fortress.db.pool.NodePool;
import io.fortress.db.pool.Router;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * The layer's Micrometer meters. They read the same counters as {@code Database.stats()}, so the
 * statement path pays for one set of counters only. Names follow Prometheus conventions once
 * exported: counters end in {@code _total}, durations are in {@code _seconds}.
 *
 * <table>
 * <caption>Meters (tags: node = primary|replica-N, role = primary|replica)</caption>
 * <tr><td>fortress_db_queries_total</td><td>statements run, per node</td></tr>
 * <tr><td>fortress_db_query_errors_total</td><td>statements failed, per node</td></tr>
 * <tr><td>fortress_db_slow_queries_total</td><td>statements at or over the slow-query threshold</td></tr>
 * <tr><td>fortress_db_query_duration_seconds</td><td>count and sum of statement time</td></tr>
 * <tr><td>fortress_db_pool_wait_seconds</td><td>count and sum of borrows that waited for a connection</td></tr>
 * <tr><td>fortress_db_pool_connections_closed_total</td><td>closed connections by reason (idle, lifetime, other)</td></tr>
 * <tr><td>fortress_db_node_up</td><td>1 while the node takes statements, 0 while it is down</td></tr>
 * <tr><td>fortress_db_read_reroutes_total</td><td>reads not served by the replica first chosen, by reason</td></tr>
 * </table>
 * HikariCP adds its own {@code hikaricp_connections_*} meters per pool ({@code pool=primary|replica-N}).
 */
public final class DatabaseMetrics implements AutoCloseable {
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    private DatabaseMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers the meters of every node of the router. */
    public static DatabaseMetrics bind(Router router, MeterRegistry registry) {
        DatabaseMetrics metrics = new DatabaseMetrics(registry);
        List<NodePool> nodes = new ArrayList<>();
        nodes.add(router.primary());
        nodes.addAll(router.replicas());
        for (NodePool node : nodes) {
            metrics.bindNode(node);
        }
        for (Router.Reroute reason : Router.Reroute.values()) {
            metrics.meters.add(FunctionCounter.builder("fortress.db.read.reroutes", router, r -> r.reroutes(reason))
                    .tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT))
                    .description("Reads not served by the replica first chosen for them")
                    .register(registry));
        }
        return metrics;
    }

    private void bindNode(NodePool node) {
        Tags tags = Tags.of("node", node.name(), "role", node.role().name().toLowerCase(java.util.Locale.ROOT));
        NodeCounters c = node.counters();
        counter("fortress.db.queries", tags, c, NodeCounters::queries, "Statements run");
        counter("fortress.db.query.errors", tags, c, NodeCounters::errors, "Statements that failed");
        counter("fortress.db.slow.queries", tags, c, NodeCounters::slowQueries, "Statements at or over the slow-query threshold");
        meters.add(FunctionTimer.builder("fortress.db.query.duration", c, NodeCounters::queries,
                        NodeCounters::latencyNanos, TimeUnit.NANOSECONDS)
                .tags(tags).description("Time of statements, from asking for a connection to the last row").register(registry));
        meters.add(FunctionTimer.builder("fortress.db.pool.wait", c, NodeCounters::waits, NodeCounters::waitNanos, TimeUnit.NANOSECONDS)
                .tags(tags).description("Borrows that found no idle connection, and how long they waited").register(registry));
        counter("fortress.db.pool.connections.closed", tags.and("reason", "idle"), c, NodeCounters::idleClosed,
                "Connections closed, by reason");
        counter("fortress.db.pool.connections.closed", tags.and("reason", "lifetime"), c, NodeCounters::lifetimeClosed,
                "Connections closed, by reason");
        counter("fortress.db.pool.connections.closed", tags.and("reason", "other"), c, NodeCounters::otherClosed,
                "Connections closed, by reason");
        meters.add(Gauge.builder("fortress.db.node.up", node, n -> n.isUp() ? 1 : 0)
                .tags(tags).description("1 while the node takes statements, 0 while it is down").register(registry));
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
