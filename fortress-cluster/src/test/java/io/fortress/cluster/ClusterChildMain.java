package io.fortress.cluster;

/**
 * Started in a separate JVM by {@link LocalClusterOperationsTest}: starts a cluster and PgBouncers in
 * front of it, reports them, freezes its replica and one PgBouncer, then waits to be killed.
 */
public final class ClusterChildMain {
    private ClusterChildMain() {
    }

    public static void main(String[] args) throws Exception {
        LocalCluster cluster = LocalCluster.builder().replicas(1).start();
        PgBouncers bouncers = PgBouncers.start(cluster, 1, false);
        cluster.replica(1).freeze(); // the watchdogs must end a frozen node and a frozen PgBouncer too
        bouncers.freeze(bouncers.front(cluster.replica(1)));
        System.out.println("ROOT " + cluster.rootDirectory());
        java.util.List<String> pids = new java.util.ArrayList<>();
        cluster.nodes().forEach(n -> pids.add(Long.toString(n.postmasterPid().orElseThrow())));
        bouncers.fronts().forEach(f -> pids.add(Long.toString(f.pid().orElseThrow())));
        System.out.println("PIDS " + String.join(",", pids));
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
