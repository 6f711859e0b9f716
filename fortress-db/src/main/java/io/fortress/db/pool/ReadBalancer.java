package io.fortress.db.pool;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Round robin over the replicas that are up. Selection reads one immutable snapshot, so a replica
 * leaving or joining never shifts a read onto the wrong node mid-choice, and the long counter is
 * reduced with floorMod, so it can run forever without a negative index.
 */
final class ReadBalancer {
    private static final NodePool[] NONE = new NodePool[0];
    private final List<NodePool> replicas;
    private final AtomicLong next = new AtomicLong();
    private volatile NodePool[] eligible = NONE;

    ReadBalancer(List<NodePool> replicas) {
        this.replicas = replicas;
        refresh();
    }

    /** Re-reads which replicas are up; called whenever a node's status changes. */
    void refresh() {
        eligible = replicas.stream().filter(NodePool::isUp).toArray(NodePool[]::new);
    }

    /** The eligible replicas, the next one in round-robin order first, then the others to retry on. */
    NodePool[] order() {
        NodePool[] snapshot = eligible;
        int n = snapshot.length;
        if (n <= 1) {
            return snapshot;
        }
        int start = (int) Math.floorMod(next.getAndIncrement(), (long) n);
        NodePool[] ordered = new NodePool[n];
        for (int i = 0; i < n; i++) {
            ordered[i] = snapshot[(start + i) % n];
        }
        return ordered;
    }
}
