package io.fortress.db.pool;

import io.fortress.db.NodeRole;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each node's up/down status true. A node is probed on a fresh connection outside its pool
 * when a statement on it fails with a connection error (so one terminated session does not take a
 * healthy node out), and every reconnect interval while it is down, until it answers again.
 */
final class NodeMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeMonitor.class);

    private final List<NodePool> nodes;
    private final Duration interval;
    private final Runnable onChange;
    private final ScheduledExecutorService executor;
    private final Set<NodePool> probing = ConcurrentHashMap.newKeySet();

    NodeMonitor(List<NodePool> nodes, Duration interval, Runnable onChange) {
        this.nodes = nodes;
        this.interval = interval;
        this.onChange = onChange;
        this.executor = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "fortress-db-monitor");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        executor.scheduleWithFixedDelay(this::reviveDownNodes, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Probes every node now, in parallel, waiting at most {@code timeout}; unanswered nodes count as down. */
    void checkAll(Duration timeout) {
        List<CompletableFuture<Void>> checks = nodes.stream()
                .map(node -> CompletableFuture.runAsync(() -> check(node), executor)).toList();
        try {
            CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            for (int i = 0; i < nodes.size(); i++) {
                if (!checks.get(i).isDone() && nodes.get(i).markDown("no answer within " + timeout.toSeconds() + " s")) {
                    onChange.run();
                }
            }
        } catch (Exception e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A statement on the node failed with a connection error: probe it soon, once. */
    void suspect(NodePool node) {
        if (probing.add(node)) {
            try {
                executor.execute(() -> {
                    try {
                        check(node);
                    } finally {
                        probing.remove(node);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                probing.remove(node);
            }
        }
    }

    private void reviveDownNodes() {
        for (NodePool node : nodes) {
            if (!node.isUp()) {
                suspect(node);
            }
        }
    }

    private void check(NodePool node) {
        try {
            node.probe();
            Instant downSince = node.status().since();
            if (node.markUp()) {
                LOG.info("{} is back after {} s; it takes statements again", node,
                        Duration.between(downSince, Instant.now()).toSeconds());
                onChange.run();
            }
        } catch (SQLException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
            if (reason.endsWith(".")) {
                reason = reason.substring(0, reason.length() - 1);
            }
            if (node.markDown(reason)) {
                LOG.warn("{} is down: {}; {}, probing every {}", node, reason,
                        node.role() == NodeRole.PRIMARY ? "writes fail fast" : "reads go to other nodes",
                        io.fortress.db.Durations.format(interval));
                onChange.run();
            }
        } catch (RuntimeException e) {
            LOG.warn("checking {} failed: {}", node, e.getMessage());
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
