package io.fortress.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The nodes a {@link LocalCluster} instance started, and so stops (in a persistent cluster others may already run),
 * with the watchdog that ends them should this JVM die without stopping them, and the shutdown hook that stops them
 * on a normal exit.
 */
final class OwnedServers {
    private final List<Node> own = new ArrayList<>();
    private final boolean watched;
    private final Path cleanup;
    private Watchdog watchdog;
    private Thread shutdownHook;

    /**
     * @param watched whether a watchdog ends the servers when this JVM dies (not for a detached cluster)
     * @param cleanup the folder the watchdog then deletes (a throw-away cluster's), or null
     */
    OwnedServers(boolean watched, Path cleanup) {
        this.watched = watched;
        this.cleanup = cleanup;
    }

    /** Takes on these nodes (instead of any earlier ones) and watches them. */
    void own(List<Node> nodes) {
        own.clear();
        own.addAll(nodes);
        if (watched && !own.isEmpty() && watchdog == null) {
            List<String> arguments = new ArrayList<>(List.of(cleanup == null ? "" : cleanup.toString()));
            own.forEach(node -> arguments.add(node.dataDirectory().toString()));
            watchdog = Watchdog.start(Watchdog.SERVERS_SCRIPT, "fortress-cluster-watchdog", arguments);
        }
    }

    /** Has a JVM shutdown hook run {@code stop} (once; {@link #stop} removes it). */
    void stopOnExit(Runnable stop) {
        if (shutdownHook == null) {
            shutdownHook = new Thread(stop, "fortress-cluster-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    List<Node> owned() {
        return List.copyOf(own);
    }

    /**
     * Stops the given nodes, replicas first (cleanly when {@code clean}, else with an immediate shutdown), killing one
     * that does not stop, then the watchdog and the shutdown hook; throws the first failure once all are down.
     */
    void stop(List<Node> nodes, boolean clean) {
        List<Node> order = new ArrayList<>(nodes);
        Collections.reverse(order);
        RuntimeException failure = null;
        for (Node node : order) {
            try {
                if (clean) {
                    node.stop();
                } else {
                    node.stopImmediately();
                }
            } catch (RuntimeException e) {
                try {
                    node.kill();
                } catch (RuntimeException ignored) {
                    // reported below through the first failure
                }
                failure = failure == null ? e : failure;
            }
        }
        if (watchdog != null) {
            watchdog.stop();
            watchdog = null;
        }
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what is running us
            }
            shutdownHook = null;
        }
        if (failure != null) {
            throw failure;
        }
    }
}
