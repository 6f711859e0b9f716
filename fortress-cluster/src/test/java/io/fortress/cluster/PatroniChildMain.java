package io.fortress.cluster;

/**
 * Started in a separate JVM by {@link PatroniClusterTest}: starts a throw-away Patroni cluster of one member,
 * reports its folder and processes, freezes its server, then waits to be killed.
 */
public final class PatroniChildMain {
    private PatroniChildMain() {
    }

    public static void main(String[] args) throws Exception {
        PatroniCluster cluster = PatroniCluster.builder().members(1).start();
        java.util.List<String> pids = new java.util.ArrayList<>();
        cluster.daemons().forEach(d -> pids.add(Long.toString(d.pid())));
        cluster.serverProcesses("member-1").forEach(p -> pids.add(Long.toString(p.pid())));
        cluster.freeze("member-1"); // the watchdog must end a frozen server too
        System.out.println("ROOT " + cluster.rootDirectory());
        System.out.println("PIDS " + String.join(",", pids));
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
