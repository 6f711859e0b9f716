package io.fortress.db.internal.health;

import io.fortress.db.api.HealthStatus;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;

import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.Durations;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import io.fortress.db.internal.pool.NodeConnector;
import io.fortress.db.internal.pool.NodePool;
import io.fortress.db.internal.pool.Topology;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks behind {@code io.fortress.db.HealthChecker}: one node at a time on its own connection, single-flight
 * per node, observations run through hysteresis and published to the topology; the WAL sampler; the
 * stall watch; suspicion from failed statements; the choice of the primary among DB_HOST candidates.
 */
public final class NodeChecks {
    private static final Logger LOG = LoggerFactory.getLogger("io.fortress.db.HealthChecker");
    private static final int HISTORY_SAMPLES = 4096;
    /** How often the candidates are checked while writes have nowhere to go. */
    private static final Duration HUNT_PAUSE = Duration.ofMillis(5);
    /** Patroni is asked every this many of those checks (every 100 ms). */
    private static final int HUNT_PATRONI_EVERY = 20;
    /** How long that goes on before the regular rounds alone look. */
    private static final Duration HUNT_LIMIT = Duration.ofSeconds(60);

    private final Topology topology;
    private final DbConfig config;
    private final WalHistory history = new WalHistory(HISTORY_SAMPLES);
    /** Immutable lists, replaced whole when the topology's members change. */
    private volatile List<Slot> candidates = List.of();
    private volatile List<Slot> replicas = List.of();
    private final PatroniWatch patroni;
    /** The leader Patroni named in its last answer; null without Patroni or before it answered. */
    private volatile HostAndPort patroniLeader;
    private final AtomicBoolean hunting = new AtomicBoolean();
    private final AtomicBoolean readingPatroni = new AtomicBoolean();
    private volatile Consumer<CheckedNode> watched = n -> { };
    private volatile Consumer<CheckedNode> unwatched = n -> { };
    private final ScheduledExecutorService executor;
    private final LongAdder roleChanges = new LongAdder();
    private final Observer observer;
    private volatile Duration timeout;

    /**
     * @param patroni where the members come from on every round; null when they are the configured ones
     */
    public NodeChecks(Topology topology, DbConfig config, PatroniWatch patroni) {
        this.topology = topology;
        this.config = config;
        this.patroni = patroni;
        this.timeout = config.healthTimeout();
        this.observer = new Observer(history, config.maxReplicaLag());
        syncSlots();
        patroniLeader = patroni == null || patroni.last() == null ? null
                : patroni.last().leader().map(PatroniWatch.Member::address).orElse(null);
        AtomicInteger threads = new AtomicInteger();
        // a check and a sample may each block up to the timeout on every node; the stall watch must still run
        int nodes = candidates.size() + replicas.size();
        this.executor = Executors.newScheduledThreadPool(Math.min(16, Math.max(2 * nodes + 2, patroni == null ? 0 : 8)), r -> {
            Thread t = new Thread(r, "fortress-db-health-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        topology.onSuspicion(this::suspect);
    }

    public ScheduledExecutorService executor() {
        return executor;
    }

    /** The timeout of every check from now on. */
    public void timeout(Duration checkTimeout) {
        this.timeout = checkTimeout;
    }

    /** The status as of the last checks; never queries a database. */
    public HealthStatus status() {
        Slot primary = primarySlot();
        List<NodeHealth> replicaHealth = replicas.stream().map(s -> s.health).toList();
        Instant oldest = replicaHealth.stream().map(NodeHealth::checkedAt).reduce(primary.health.checkedAt(),
                (a, b) -> a.isBefore(b) ? a : b);
        PatroniWatch.View view = patroni == null ? null : patroni.last();
        List<HealthStatus.PatroniMember> members = view == null ? List.of() : view.members().stream()
                .map(m -> new HealthStatus.PatroniMember(m.name(), m.role(), m.state(), m.address(), m.timeline(), m.lagBytes())).toList();
        return new HealthStatus(primary.health.state() == NodeState.UP, primary.health, replicaHealth, oldest, members);
    }

    /** Every node watched, with its check counters: the primary candidates, then the replicas. */
    public List<CheckedNode> checkedNodes() {
        List<CheckedNode> all = new ArrayList<>(candidates);
        all.addAll(replicas);
        return List.copyOf(all);
    }

    /**
     * Checks every node that is out of rotation again now, up to {@code rise} times {@code pause}
     * apart; returns the nodes back in rotation (each with a fresh connection in its pool).
     */
    public List<String> autoReconnect(int rise, Duration pause) {
        List<String> back = new ArrayList<>();
        List<Slot> all = new ArrayList<>(candidates);
        all.addAll(replicas);
        for (Slot slot : all) {
            if (slot.health.state().isGood()) {
                continue;
            }
            for (int i = 0; i < rise && !slot.health.state().isGood(); i++) {
                if (i > 0) {
                    sleep(pause);
                }
                checkNow(slot, timeout);
                if (!slot.health.state().isReachable()) {
                    break;
                }
            }
            if (slot.health.state().isGood()) {
                back.add(slot.name);
            }
        }
        selectPrimary();
        return back;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public long roleChanges() {
        return roleChanges.sum();
    }

    public void close() {
        executor.shutdownNow();
        candidates.forEach(Slot::close);
        replicas.forEach(Slot::close);
    }

    // ---------------------------------------------------------------- rounds

    /** Watches exactly the topology's members: a slot for each new one; those that left are closed. */
    private synchronized void syncSlots() {
        List<Slot> oldCandidates = candidates;
        List<Slot> oldReplicas = replicas;
        List<Slot> nextCandidates = new ArrayList<>();
        for (Topology.Member m : topology.primaryCandidates()) {
            Slot slot = oldCandidates.stream().filter(c -> c.address.equals(m.address()) && c.name.equals(m.name())).findFirst().orElse(null);
            if (slot == null) {
                NodeConnector connector = topology.candidateConnector(m);
                slot = new Slot(m.name(), NodeRole.PRIMARY, m.address(), new NodeProbe(connector), new NodeProbe(connector),
                        topology.existingPrimaryPool(m.address()).orElse(null), config.healthFall(), config.healthRise());
            }
            nextCandidates.add(slot);
        }
        HostAndPort writesGo = topology.primary() == null ? null : topology.primary().address();
        oldCandidates.stream().filter(c -> c.address.equals(writesGo) && !nextCandidates.contains(c)).findFirst()
                .ifPresent(nextCandidates::add); // watched while writes go there, even once it left the candidates
        List<Slot> nextReplicas = new ArrayList<>();
        for (NodePool pool : topology.replicas()) {
            nextReplicas.add(oldReplicas.stream().filter(r -> r.pool == pool).findFirst().orElseGet(() -> new Slot(pool.name(),
                    NodeRole.REPLICA, pool.address(), new NodeProbe(pool.connector()), null, pool, config.healthFall(), config.healthRise())));
        }
        candidates = List.copyOf(nextCandidates);
        replicas = List.copyOf(nextReplicas);
        List<Slot> left = new ArrayList<>(oldCandidates);
        left.addAll(oldReplicas);
        left.removeAll(nextCandidates);
        left.removeAll(nextReplicas);
        List<Slot> added = new ArrayList<>(nextCandidates);
        added.addAll(nextReplicas);
        added.removeAll(oldCandidates);
        added.removeAll(oldReplicas);
        left.forEach(slot -> {
            slot.close();
            unwatched.accept(slot);
        });
        if (!oldCandidates.isEmpty()) {
            added.forEach(watched); // the first members are bound from checkedNodes()
        }
    }

    /** Called with each node watched from now on after a change of members, and with each no longer watched. */
    public void onWatched(Consumer<CheckedNode> added, Consumer<CheckedNode> removed) {
        this.watched = added;
        this.unwatched = removed;
    }

    /**
     * Reads Patroni's view and applies its members to the topology; a leader other than the current
     * primary is looked at now. Without an answer the last view stands.
     */
    private void followPatroni() {
        Optional<PatroniWatch.View> view = patroni.fetch(timeout);
        if (view.isEmpty()) {
            return;
        }
        List<Topology.Member> before = topology.primaryCandidates();
        List<NodePool> replicasBefore = topology.replicas();
        if (topology.apply(view.get().candidates(), view.get().replicas())) {
            syncSlots();
            topology.refresh();
            List<String> names = topology.replicas().stream().map(NodePool::name).toList();
            List<String> namesBefore = replicasBefore.stream().map(NodePool::name).toList();
            if (!new java.util.HashSet<>(before).equals(new java.util.HashSet<>(topology.primaryCandidates())) || !names.equals(namesBefore)) {
                LOG.info("members from Patroni: primary candidates {} (were {}), replicas {} (were {})",
                        topology.primaryCandidates().stream().map(Topology.Member::name).toList(),
                        before.stream().map(Topology.Member::name).toList(), names, namesBefore);
            }
            candidates.stream().filter(s -> s.health.checkedAt() == null || s.checks.sum() == 0).forEach(this::checkSoon);
            replicas.stream().filter(s -> s.checks.sum() == 0).forEach(this::checkSoon);
        }
        HostAndPort leader = view.get().leader().map(PatroniWatch.Member::address).orElse(null);
        patroniLeader = leader;
        if (leader != null && !leader.equals(topology.primary().address())) {
            hunt();
        }
    }

    /**
     * While writes have nowhere to go (the primary stopped answering or became read-only, or Patroni
     * names another leader), the primary candidates are checked every {@link #HUNT_PAUSE} (with Patroni,
     * only its leader, whose primary pool starts filling at once) until one takes writes, for at most
     * {@link #HUNT_LIMIT}; writes fail fast meanwhile. The checks run on their own (single-flight per
     * node), so a hung candidate delays none of the others.
     */
    private void hunt() {
        if (candidates.size() < 2 || !hunting.compareAndSet(false, true)) {
            return;
        }
        long until = System.nanoTime() + HUNT_LIMIT.toNanos();
        LOG.debug("looking for a primary that takes writes");
        scheduleHunt(until, 0);
    }

    private void scheduleHunt(long until, int tick) {
        try {
            executor.schedule(() -> huntOnce(until, tick), HUNT_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closedAlready) {
            hunting.set(false);
        }
    }

    private void huntOnce(long until, int tick) {
        try {
            if (patroni != null && tick % HUNT_PATRONI_EVERY == 0) {
                executor.execute(this::followPatroniOnce); // a slow REST API must not slow the checks
            }
            HostAndPort leader = patroniLeader;
            // Patroni naming another leader narrows the search to it; naming none, or still the primary
            // that takes no writes, does not
            boolean named = leader != null && !leader.equals(topology.primary().address())
                    && topology.primaryCandidates().stream().anyMatch(c -> c.address().equals(leader));
            if (named) {
                topology.primaryPool(leader); // its connections open while it is being promoted, not after
            }
            for (Slot slot : candidates) {
                if (!named || slot.address.equals(leader) || slot == primarySlot()) {
                    checkSoon(slot);
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("looking for a primary failed: {}", e.toString());
        }
        boolean found = primarySlot().health.state() == NodeState.UP
                && (patroniLeader == null || patroniLeader.equals(primarySlot().address));
        if (found || System.nanoTime() > until) {
            hunting.set(false);
        } else {
            scheduleHunt(until, tick + 1);
        }
    }

    /** Follows Patroni unless a reading is already under way. */
    private void followPatroniOnce() {
        if (!readingPatroni.compareAndSet(false, true)) {
            return;
        }
        try {
            followPatroni();
        } catch (RuntimeException e) {
            LOG.warn("reading Patroni's view failed: {}", e.toString());
        } finally {
            readingPatroni.set(false);
        }
    }

    public void runRound() {
        if (patroni != null) {
            followPatroniOnce();
        }
        try {
            candidates.forEach(this::checkSoon);
            replicas.forEach(this::checkSoon);
        } catch (RuntimeException e) {
            LOG.warn("health check round failed: {}", e.toString());
        }
    }

    /** Checks every node in parallel and waits for all, at most the timeout plus a second. */
    public void checkAll(Duration checkTimeout) {
        List<CompletableFuture<Void>> checks = new ArrayList<>();
        // candidates first: their WAL position is what replica lag is measured against
        for (Slot slot : candidates) {
            checks.add(CompletableFuture.runAsync(() -> checkNow(slot, checkTimeout), executor));
        }
        await(checks, checkTimeout);
        selectPrimary();
        checks.clear();
        for (Slot slot : replicas) {
            checks.add(CompletableFuture.runAsync(() -> checkNow(slot, checkTimeout), executor));
        }
        await(checks, checkTimeout);
    }

    private static void await(List<CompletableFuture<Void>> checks, Duration checkTimeout) {
        try {
            CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
                    .get(checkTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warn("health checks did not finish within {}", Durations.format(checkTimeout));
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("a health check failed: {}", e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A statement on the node lost its connection, its pool timed out, or the primary refused a write:
     * check it now. Should that check find the node not answering, that is taken at once (two
     * witnesses agree) instead of after DB_HEALTH_FALL checks.
     */
    private void suspect(NodePool pool) {
        slotOf(pool).ifPresent(slot -> {
            slot.suspected = true;
            checkSoon(slot);
            if (pool == topology.primary()) {
                hunt();
            }
        });
    }

    /**
     * Statements in flight on a node that complete none for a while (a small multiple of their recent
     * time) make it suspect: a hung server (SIGSTOP, a stalled disk, a half-open connection) is then
     * checked at once instead of at the next round.
     */
    public void watchForStalls() {
        long now = System.nanoTime();
        try {
            for (Slot slot : candidates) {
                watch(slot, now);
            }
            for (Slot slot : replicas) {
                watch(slot, now);
            }
        } catch (RuntimeException e) {
            LOG.warn("the stall watch failed: {}", e.toString());
        }
    }

    private void watch(Slot slot, long now) {
        NodePool pool = slot.pool;
        if (pool != null && slot.health.state().isReachable() && pool.stallCheckDue(now)) {
            LOG.debug("{}: statements in flight but none completed lately; checking it now", slot.name);
            slot.suspected = true;
            checkSoon(slot);
        }
    }

    private void checkSoon(Slot slot) {
        try {
            executor.execute(() -> checkNow(slot, timeout));
        } catch (RejectedExecutionException closedAlready) {
            // the Database is closing
        }
    }

    private void checkLater(Slot slot) {
        try {
            executor.schedule(() -> checkNow(slot, timeout), config.healthFastInterval().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closedAlready) {
            // the Database is closing
        }
    }

    /** One check of one node; while one runs, another request runs it again once it ends. */
    void checkNow(Slot slot, Duration checkTimeout) {
        if (!slot.busy.compareAndSet(false, true)) {
            slot.again.set(true);
            return;
        }
        try {
            long start = System.nanoTime();
            Observation observation = observer.observe(slot, slot == primarySlot(), checkTimeout);
            long nanos = System.nanoTime() - start;
            slot.checks.increment();
            slot.checkNanos.add(nanos);
            if (observation.failure() != null) {
                slot.failures.get(observation.failure()).increment();
            }
            apply(slot, observation, Duration.ofNanos(nanos)); // still busy: observations are applied in order
        } finally {
            slot.busy.set(false);
        }
        if (slot.role == NodeRole.PRIMARY && candidates.size() > 1) {
            selectPrimary();
        }
        if (slot.again.getAndSet(false)) {
            checkSoon(slot); // asked for while this check ran, perhaps about a failure it started too early to see
        }
    }

    public void sampleWal() {
        Slot primary = primarySlot();
        try {
            long before = System.nanoTime();
            long position = primary.sampler.readWalPosition(timeout);
            history.add(before, System.nanoTime(), position);
        } catch (SQLException e) {
            // the primary's own check reports it; the history simply gets no sample
        }
    }

    /** Runs the observation through hysteresis and publishes the resulting health to routing. */
    private void apply(Slot slot, Observation o, Duration took) {
        NodePool pool = slot.pool;
        // a check that finds the node not answering while its statements stall, or after one lost its
        // connection, is not a blip: the node leaves rotation at once
        boolean conclusive = !o.state().isReachable() && (slot.suspected || (pool != null && pool.isStalled(System.nanoTime())));
        // two witnesses agree on a change of roles: a write refused as read-only (or Patroni naming
        // another leader) and the check finding the node in recovery; Patroni naming this node the
        // leader and the check finding it takes writes
        HostAndPort leader = patroniLeader;
        if (slot.role == NodeRole.PRIMARY && o.state() == NodeState.DEMOTED && (slot.suspected || (leader != null && !leader.equals(slot.address)))) {
            conclusive = true;
        }
        boolean confirmed = slot.role == NodeRole.PRIMARY && o.state() == NodeState.UP
                && (slot.address.equals(leader) || promotedPastThePrimary(slot, o));
        StateTracker.Change change = confirmed ? slot.tracker.confirm(o.state(), o.reason())
                : slot.tracker.observe(o.state(), o.reason(), conclusive);
        if (o.state().isReachable()) {
            slot.suspected = false;
        }
        String reason = slot.tracker.reason();
        if (slot.tracker.pending()) {
            int needed = o.state().isGood() ? config.healthRise() : config.healthFall();
            reason = reason + "; last check: " + o.state() + " (" + o.reason() + "), " + slot.tracker.streak() + " of " + needed
                    + " checks to change";
        }
        Long walLsn = o.walLsn() != null ? o.walLsn() : (slot.health.walLsn());
        Long timeline = o.timeline() != null ? o.timeline() : slot.health.timeline();
        NodeHealth health = new NodeHealth(slot.name, slot.role, slot.address, slot.tracker.state(), reason, slot.tracker.since(),
                o.lagSeconds(), o.lagBytes(), o.receiveLagBytes(), walLsn, o.receivedLsn(), timeline, Instant.now(), took);
        // Routing changes before the new state is published: whoever sees the state (db.nodes(), the
        // health endpoint) may rely on reads already following it.
        if (pool != null) {
            pool.setFreshAsOf(o.freshAsOf());
            pool.setHealth(health);
        }
        if (change.changed()) {
            topology.refresh();
            if (slot == primarySlot() && change.to() != NodeState.UP) {
                hunt();
            }
        }
        long aborted = 0;
        if (change.changed() && change.from() != null && pool != null) {
            if (change.from().isReachable() && !change.to().isReachable()) {
                // statements blocked on a node that stopped answering fail now, and reads among them are
                // retried elsewhere; the pool's old connections are retired (a returning node gets fresh ones)
                aborted = pool.abortInFlight();
            } else if (change.to() == NodeState.DEMOTED) {
                pool.evictConnections(); // they would only meet 25006
            }
        }
        slot.health = health;
        if (change.changed() && change.from() != null) {
            if (change.to().isGood()) {
                LOG.info("{} ({}) is {} again after {}: {}", slot.name, slot.address, change.to(), change.from(), reason);
            } else {
                LOG.warn("{} ({}) is {}: {}; {}{}", slot.name, slot.address, change.to(), reason,
                        slot.role == NodeRole.PRIMARY ? "writes fail fast" : "reads go to other nodes",
                        aborted > 0 ? "; " + aborted + " connection(s) in use there aborted" : "");
            }
        }
        // A node that stopped or started answering is checked again soon, so routing learns fast (at once
        // after a check that timed out: it has waited long enough); lag, pause and receiver changes are
        // judged at the regular pace, so short spikes stay damped.
        if (slot.tracker.pending() && (!o.state().isReachable() || !slot.tracker.state().isReachable())) {
            if (o.failure() == CheckedNode.Failure.TIMEOUT) {
                checkSoon(slot);
            } else {
                checkLater(slot);
            }
        }
    }

    // ---------------------------------------------------------------- the primary

    /**
     * A candidate found taking writes on a newer timeline than the primary's, while the primary takes
     * none: only a promotion makes a new timeline, so that is a second witness as good as Patroni's.
     */
    private boolean promotedPastThePrimary(Slot slot, Observation o) {
        Slot current = primarySlot();
        Long primaryTimeline = current.health.timeline();
        return slot != current && current.health.state() != NodeState.UP && o.timeline() != null && primaryTimeline != null
                && o.timeline() > primaryTimeline;
    }

    private Slot primarySlot() {
        HostAndPort current = topology.primary().address();
        for (Slot slot : candidates) {
            if (slot.address.equals(current)) {
                return slot;
            }
        }
        throw new IllegalStateException("the primary " + current + " is not a DB_HOST candidate");
    }

    /**
     * Moves writes to the candidate that accepts them on the newest timeline, when the current primary
     * no longer does or a candidate was promoted past it.
     */
    public synchronized void selectPrimary() {
        Slot current = primarySlot();
        List<PrimarySelector.Candidate> states = candidates.stream()
                .map(c -> new PrimarySelector.Candidate(c.health.state(), c.health.timeline())).toList();
        PrimarySelector.Choice choice = PrimarySelector.choose(states, candidates.indexOf(current));
        Slot next = candidates.get(choice.index());
        if (next == current) {
            return;
        }
        NodePool pool = topology.primaryPool(next.address);
        next.pool = pool;
        pool.setHealth(next.health);
        topology.switchPrimary(pool);
        history.clear(); // the old primary's WAL positions say nothing about the new one's
        roleChanges.increment();
        if (choice.splitBrain()) {
            LOG.error("split brain: {} ({}) and {} ({}) both accept writes; writes go to {}, on the newer timeline {}",
                    current.name, current.address, next.name, next.address, next.name, next.health.timeline());
        } else {
            LOG.warn("the primary is now {} ({}, timeline {}); {} ({}) is {}", next.name, next.address, next.health.timeline(),
                    current.name, current.address, current.health.state());
        }
    }

    public void requireWritablePrimary() {
        Slot primary = primarySlot();
        if (primary.health.state() == NodeState.UP) {
            return;
        }
        String where = candidates.size() == 1 ? "the primary " + primary.address
                : "any primary candidate of " + candidates.stream().map(c -> c.address).toList();
        String why = candidates.stream().map(s -> s.address + " is " + s.health.state() + " (" + s.health.reason() + ")")
                .reduce((a, b) -> a + "; " + b).orElse("");
        throw new DatabaseUnavailableException("cannot reach " + where + " (database " + config.database() + ", user "
                + config.user() + ") within connectTimeout " + Durations.format(config.connectTimeout()) + ": " + why, null, primary.name);
    }

    private Optional<Slot> slotOf(NodePool pool) {
        for (Slot slot : replicas) {
            if (slot.pool == pool) {
                return Optional.of(slot);
            }
        }
        for (Slot slot : candidates) {
            if (slot.address.equals(pool.address()) && pool.role() == NodeRole.PRIMARY) {
                return Optional.of(slot);
            }
        }
        return Optional.empty();
    }

}
