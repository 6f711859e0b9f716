package io.fortress.db.internal.health;

import io.fortress.db.api.HealthStatus;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.Durations;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import io.fortress.db.internal.Threads;
import io.fortress.db.internal.pool.NodePool;
import io.fortress.db.internal.pool.Topology;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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

    private final Topology topology;
    private final DbConfig config;
    private final WalHistory history = new WalHistory(HISTORY_SAMPLES);
    private final Slots slots;
    /** Null when the members are the configured ones. */
    private final PatroniFollower patroni;
    private final PrimaryHunt hunt;
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
        this.timeout = config.healthTimeout();
        this.observer = new Observer(history, config.maxReplicaLag());
        this.slots = new Slots(topology, config);
        this.patroni = patroni == null ? null : new PatroniFollower(patroni, topology, slots, this::checkSoon);
        // a check and a sample may each block up to the timeout on every node; the stall watch must still run
        int nodes = slots.all().size();
        this.executor = Executors.newScheduledThreadPool(Math.min(16, Math.max(2 * nodes + 2, patroni == null ? 0 : 8)),
                Threads.daemon("fortress-db-health"));
        this.hunt = new PrimaryHunt(topology, slots, executor, this::checkSoon, this.patroni, this::followPatroni);
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
        Slot primary = slots.primary();
        List<NodeHealth> replicaHealth = slots.replicas().stream().map(s -> s.health).toList();
        Instant oldest = replicaHealth.stream().map(NodeHealth::checkedAt).reduce(primary.health.checkedAt(),
                (a, b) -> a.isBefore(b) ? a : b);
        return new HealthStatus(primary.health.state() == NodeState.UP, primary.health, replicaHealth, oldest,
                patroni == null ? List.of() : patroni.members());
    }

    /** Every node watched, with its check counters: the primary candidates, then the replicas. */
    public List<CheckedNode> checkedNodes() {
        return List.copyOf(slots.all());
    }

    /**
     * Checks every node that is out of rotation again now, up to {@code rise} times {@code pause}
     * apart; returns the nodes back in rotation (each with a fresh connection in its pool).
     */
    public List<String> autoReconnect(int rise, Duration pause) {
        List<String> back = new ArrayList<>();
        for (Slot slot : slots.all()) {
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
        slots.close();
    }

    // ---------------------------------------------------------------- rounds

    /** Called with each node watched from now on after a change of members, and with each no longer watched. */
    public void onWatched(Consumer<CheckedNode> added, Consumer<CheckedNode> removed) {
        slots.onWatched(added, removed);
    }

    /** Follows Patroni's view, if there is a Patroni; a leader other than the primary starts the hunt. */
    private void followPatroni() {
        if (patroni != null && patroni.follow(timeout)) {
            hunt.start();
        }
    }

    public void runRound() {
        followPatroni();
        try {
            slots.all().forEach(this::checkSoon);
        } catch (RuntimeException e) {
            LOG.warn("health check round failed: {}", e.toString());
        }
    }

    /** Checks every node in parallel and waits for all, at most the timeout plus a second. */
    public void checkAll(Duration checkTimeout) {
        List<CompletableFuture<Void>> checks = new ArrayList<>();
        // candidates first: their WAL position is what replica lag is measured against
        for (Slot slot : slots.candidates()) {
            checks.add(CompletableFuture.runAsync(() -> checkNow(slot, checkTimeout), executor));
        }
        await(checks, checkTimeout);
        selectPrimary();
        checks.clear();
        for (Slot slot : slots.replicas()) {
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
        slots.of(pool).ifPresent(slot -> {
            slot.suspected = true;
            checkSoon(slot);
            if (pool == topology.primary()) {
                hunt.start();
            }
        });
    }

    /**
     * Statements in flight on a node that complete none for a while (a small multiple of their recent
     * time, see {@link StallWatch}) make it suspect: a hung server (SIGSTOP, a stalled disk, a half-open
     * connection) is then checked at once instead of at the next round. Runs on one thread, every few
     * milliseconds.
     */
    public void watchForStalls() {
        long now = System.nanoTime();
        try {
            for (Slot slot : slots.all()) {
                watch(slot, now);
            }
        } catch (RuntimeException e) {
            LOG.warn("the stall watch failed: {}", e.toString());
        }
    }

    private void watch(Slot slot, long now) {
        NodePool pool = slot.pool;
        if (pool != null && slot.health.state().isReachable() && slot.stalls.checkDue(pool, now)) {
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
            Observation observation = observer.observe(slot, slot == slots.primary(), checkTimeout);
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
        if (slot.role == NodeRole.PRIMARY && slots.candidates().size() > 1) {
            selectPrimary();
        }
        if (slot.again.getAndSet(false)) {
            checkSoon(slot); // asked for while this check ran, perhaps about a failure it started too early to see
        }
    }

    public void sampleWal() {
        Slot primary = slots.primary();
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
        boolean conclusive = !o.state().isReachable() && (slot.suspected || (pool != null && slot.stalls.isStalled(pool, System.nanoTime())));
        // two witnesses agree on a change of roles: a write refused as read-only (or Patroni naming
        // another leader) and the check finding the node in recovery; Patroni naming this node the
        // leader and the check finding it takes writes
        HostAndPort leader = patroni == null ? null : patroni.leader();
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
            if (slot == slots.primary() && change.to() != NodeState.UP) {
                hunt.start();
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
        Slot current = slots.primary();
        Long primaryTimeline = current.health.timeline();
        return slot != current && current.health.state() != NodeState.UP && o.timeline() != null && primaryTimeline != null
                && o.timeline() > primaryTimeline;
    }

    /**
     * Moves writes to the candidate that accepts them on the newest timeline, when the current primary
     * no longer does or a candidate was promoted past it.
     */
    public synchronized void selectPrimary() {
        Slot current = slots.primary();
        List<Slot> candidates = slots.candidates();
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
        Slot primary = slots.primary();
        if (primary.health.state() == NodeState.UP) {
            return;
        }
        List<Slot> candidates = slots.candidates();
        String where = candidates.size() == 1 ? "the primary " + primary.address
                : "any primary candidate of " + candidates.stream().map(c -> c.address).toList();
        String why = candidates.stream().map(s -> s.address + " is " + s.health.state() + " (" + s.health.reason() + ")")
                .reduce((a, b) -> a + "; " + b).orElse("");
        throw new DatabaseUnavailableException("cannot reach " + where + " (database " + config.database() + ", user "
                + config.user() + ") within connectTimeout " + Durations.format(config.connectTimeout()) + ": " + why, null, primary.name);
    }

}
