package io.fortress.db.internal.health;

import io.fortress.db.api.NodeHealth;

import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import io.fortress.db.internal.pool.NodePool;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/** One watched node: its probes, hysteresis, stall watch, latest health, what the previous check saw, and check counters. */
final class Slot implements CheckedNode {
    final String name;
    final NodeRole role;
    final HostAndPort address;
    final NodeProbe probe;
    /** Primary candidates: the WAL sampler's own connection, so that a hung sample never delays a check. */
    final NodeProbe sampler;
    final StateTracker tracker;
    /** A check is running; another request for one sets {@link #again}. */
    final AtomicBoolean busy = new AtomicBoolean();
    final AtomicBoolean again = new AtomicBoolean();
    final LongAdder checks = new LongAdder();
    final LongAdder checkNanos = new LongAdder();
    final Map<Failure, LongAdder> failures = new EnumMap<>(Failure.class);
    /** A statement lost its connection, stalled or waited out the pool here since the last check that answered. */
    volatile boolean suspected;
    /** Whether statements on this node's pool stall (gray failures); only the stall watch's thread asks whether a check is due. */
    final StallWatch stalls = new StallWatch();
    volatile NodePool pool;
    volatile NodeHealth health;
    Long lastReplayed;
    Long lastLagBytes;

    Slot(String name, NodeRole role, HostAndPort address, NodeProbe probe, NodeProbe sampler, NodePool pool, int fall, int rise) {
        this.name = name;
        this.role = role;
        this.address = address;
        this.probe = probe;
        this.sampler = sampler;
        this.pool = pool;
        this.tracker = new StateTracker(fall, rise);
        this.health = NodeHealth.unchecked(name, role, address);
        for (Failure f : Failure.values()) {
            failures.put(f, new LongAdder());
        }
    }

    /** Closes the probes' connections. */
    void close() {
        probe.close();
        if (sampler != null) {
            sampler.close();
        }
    }

    @Override
    public NodeHealth health() {
        return health;
    }

    @Override
    public long checks() {
        return checks.sum();
    }

    @Override
    public long checkNanos() {
        return checkNanos.sum();
    }

    @Override
    public long failures(Failure failure) {
        return failures.get(failure).sum();
    }
}
