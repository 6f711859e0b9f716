package io.fortress.bench;

import io.fortress.db.api.DbConfig;
import io.fortress.db.internal.pool.NodePool;
import io.fortress.db.internal.pool.ReadPolicy;
import io.fortress.db.internal.pool.Topology;
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
 * The per-call cost of routing a read (the read policy's choice of a replica, round robin over the good
 * ones) and recording the statement in the node's counters, with no database in the loop: the pools
 * point at a closed port and open no connection.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingBenchmark {
    private Topology topology;
    private ReadPolicy<NodePool> policy;

    @Setup(Level.Trial)
    public void setUp() {
        DbConfig config = DbConfig.builder().host("127.0.0.1").port(1).replicaHosts("127.0.0.1:1", "127.0.0.1:1")
                .maxIdleConns(0).build();
        topology = Topology.create(config, null);
        policy = topology.readPolicy();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        topology.close();
    }

    /** Choose a replica, time the (absent) statement, and record it as the read path does. */
    @Benchmark
    public NodePool routeAndRecord() {
        ReadPolicy.Plan<NodePool> plan = policy.any();
        NodePool node = plan.candidates()[policy.start(plan.candidates().length)];
        long start = System.nanoTime();
        node.record(System.nanoTime() - start, false, false);
        return node;
    }
}
