package io.fortress.db.internal.health;

import io.fortress.db.api.HealthStatus;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.internal.pool.NodePool;
import io.fortress.db.internal.pool.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies Patroni's view to the topology: its members become the candidates and replicas (new ones
 * checked at once), and the leader it names is remembered for the checks, which take it as a second
 * witness. Without an answer the last view stands.
 */
final class PatroniFollower {
    private static final Logger LOG = LoggerFactory.getLogger("io.fortress.db.HealthChecker");

    private final PatroniWatch watch;
    private final Topology topology;
    private final Slots slots;
    private final Consumer<Slot> checkSoon;
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile HostAndPort leader;

    PatroniFollower(PatroniWatch watch, Topology topology, Slots slots, Consumer<Slot> checkSoon) {
        this.watch = watch;
        this.topology = topology;
        this.slots = slots;
        this.checkSoon = checkSoon;
        this.leader = watch.last() == null ? null : watch.last().leader().map(PatroniWatch.Member::address).orElse(null);
    }

    /** The leader Patroni named in its last answer; null before one named any. */
    HostAndPort leader() {
        return leader;
    }

    /** The members as Patroni last listed them, for the health status. */
    List<HealthStatus.PatroniMember> members() {
        PatroniWatch.View view = watch.last();
        return view == null ? List.of() : view.members().stream()
                .map(m -> new HealthStatus.PatroniMember(m.name(), m.role(), m.state(), m.address(), m.timeline(), m.lagBytes())).toList();
    }

    /**
     * Reads Patroni's view and applies it, unless a reading is under way already.
     *
     * @return true when Patroni names a leader other than the node writes go to
     */
    boolean follow(Duration timeout) {
        if (!reading.compareAndSet(false, true)) {
            return false;
        }
        try {
            return apply(watch.fetch(timeout));
        } catch (RuntimeException e) {
            LOG.warn("reading Patroni's view failed: {}", e.toString());
            return false;
        } finally {
            reading.set(false);
        }
    }

    private boolean apply(Optional<PatroniWatch.View> view) {
        if (view.isEmpty()) {
            return false;
        }
        List<Topology.Member> before = topology.primaryCandidates();
        List<String> replicasBefore = topology.replicas().stream().map(NodePool::name).toList();
        // a leader writes do not go to yet keeps its replica pool: during a switchover it may be the only
        // node that answers reads until the checks find it writable
        List<Topology.Member> replicas = new ArrayList<>(view.get().replicas());
        view.get().leader().filter(l -> !l.noLoadBalance() && !l.address().equals(topology.primary().address()))
                .ifPresent(l -> replicas.add(new Topology.Member(l.name(), l.address())));
        if (topology.apply(view.get().candidates(), replicas)) {
            slots.sync();
            topology.refresh();
            List<String> replicasNow = topology.replicas().stream().map(NodePool::name).toList();
            if (!new HashSet<>(before).equals(new HashSet<>(topology.primaryCandidates())) || !replicasNow.equals(replicasBefore)) {
                LOG.info("members from Patroni: primary candidates {} (were {}), replicas {} (were {})",
                        topology.primaryCandidates().stream().map(Topology.Member::name).toList(),
                        before.stream().map(Topology.Member::name).toList(), replicasNow, replicasBefore);
            }
            slots.all().stream().filter(s -> s.checks.sum() == 0).forEach(checkSoon); // new members are checked now
        }
        HostAndPort named = view.get().leader().map(PatroniWatch.Member::address).orElse(null);
        leader = named;
        return named != null && !named.equals(topology.primary().address());
    }
}
