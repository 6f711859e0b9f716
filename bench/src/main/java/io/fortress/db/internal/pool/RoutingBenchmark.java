package io.fortress.db.internal.pool;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The per-call cost of routing a read (the read policy's choice of a replica, round robin over the good ones) and
 * recording the statement in the node's counters, with no database in the loop. It lives in the
 * pool package to reach those internals; the pools point at a closed port and open no connection.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingBenchmark {
    private List<NodePool> replicas;
    private ReadPolicy<NodePool> policy;

    @Setup(Level.Trial)
    public void setUp() {
        DbConfig config = DbConfig.builder().host("127.0.0.1").port(1).maxIdleConns(0).build();
        HostAndPort nowhere = new HostAndPort("127.0.0.1", 1);
        replicas = List.of(
                new NodePool("replica-1", NodeRole.REPLICA, nowhere, new NodeConnector("replica-1", nowhere, true, config), config, null),
                new NodePool("replica-2", NodeRole.REPLICA, nowhere, new NodeConnector("replica-2", nowhere, true, config), config, null));
        policy = new ReadPolicy<>(replicas, config.replicaFallback(), config.maxFallbackLag(), NodePool[]::new);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        replicas.forEach(NodePool::close);
    }

    /** Choose a replica, time the (absent) statement, and record it as the read path does. */
    @Benchmark
    public NodePool routeAndRecord() {
        ReadPolicy.Plan<NodePool> plan = policy.any();
        NodePool node = plan.candidates()[plan.start()];
        long start = System.nanoTime();
        node.record(System.nanoTime() - start, false, false);
        return node;
    }
}
