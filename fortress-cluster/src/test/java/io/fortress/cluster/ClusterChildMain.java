package io.fortress.cluster;

/** Started in a separate JVM by {@link LocalClusterOperationsTest}: starts a cluster, reports it, freezes its replica, then waits to be killed. */
public final class ClusterChildMain {
    private ClusterChildMain() {
    }

    public static void main(String[] args) throws Exception {
        LocalCluster cluster = LocalCluster.builder().replicas(1).start();
        cluster.replica(1).freeze(); // the watchdog must end a frozen node too
        System.out.println("ROOT " + cluster.rootDirectory());
        System.out.println("PIDS " + String.join(",", cluster.nodes().stream()
                .map(n -> Long.toString(n.postmasterPid().orElseThrow())).toList()));
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
