package io.fortress.db.health;

import io.fortress.db.Database;
import io.fortress.db.DatabaseUnavailableException;
import io.fortress.db.DbConfig;
import io.fortress.db.DbConfigException;
import io.fortress.db.Durations;
import io.fortress.db.HostAndPort;
import io.fortress.db.Lsn;
import io.fortress.db.NodeRole;
import io.fortress.db.pool.NodePool;
import io.fortress.db.pool.Topology;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every node of a {@link Database} and keeps the states routing follows: checks each node on a
 * connection of its own (never the application pools), every interval and again soon after anything
 * looks wrong; measures replication lag in bytes and, from a history of the primary's WAL positions
 * sampled every second, in seconds that are right on an idle primary, keep growing when replay is
 * paused or the WAL receiver is gone, and do not depend on the servers' clocks; applies hysteresis
 * (DB_HEALTH_FALL bad checks to leave rotation, DB_HEALTH_RISE good ones to return); evicts stale
 * connections when a node comes back; and, with several DB_HOST candidates, sends writes to the one
 * that accepts them on the newest timeline.
 *
 * <p>Every Database has one, started when it opens: {@link Database#healthChecker()}. Callers read
 * the cached {@link #status()} (with its age), so any number of health requests costs the servers
 * nothing. Thread-safe.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthChecker.class);
    private static final int HISTORY_SAMPLES = 4096;
    /** How often the stall watch looks at the statements in flight on every node. */
    private static final long WATCH_MILLIS = 50;

    private final Topology topology;
    private final DbConfig config;
    private final WalHistory history = new WalHistory(HISTORY_SAMPLES);
    private final List<Slot> candidates = new ArrayList<>();
    private final List<Slot> replicas = new ArrayList<>();
    private final ScheduledExecutorService executor;
    private final LongAdder roleChanges = new LongAdder();
    private volatile Duration interval;
    private volatile Duration timeout;
    private ScheduledFuture<?> rounds;
    private ScheduledFuture<?> sampler;
    private ScheduledFuture<?> stallWatch;
    private volatile boolean closed;

    private HealthChecker(Topology topology, DbConfig config) {
        this.topology = topology;
        this.config = config;
        this.interval = config.healthInterval();
        this.timeout = config.healthTimeout();
        for (HostAndPort address : topology.primaryCandidates()) {
            NodeProbe probe = new NodeProbe(topology.candidateConnector(address));
            Slot slot = new Slot(topology.candidateName(address), NodeRole.PRIMARY, address, probe,
                    topology.existingPrimaryPool(address).orElse(null));
            // the WAL sampler has a connection of its own, so a hung sample never delays a check
            slot.sampler = new NodeProbe(topology.candidateConnector(address));
            candidates.add(slot);
        }
        for (NodePool replica : topology.replicas()) {
            replicas.add(new Slot(replica.name(), NodeRole.REPLICA, replica.address(), new NodeProbe(replica.connector()), replica));
        }
        AtomicInteger threads = new AtomicInteger();
        // a check and a sample may each block up to the timeout on every node; the stall watch must still run
        this.executor = Executors.newScheduledThreadPool(Math.min(16, 2 * (candidates.size() + replicas.size()) + 2), r -> {
            Thread t = new Thread(r, "fortress-db-health-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        topology.onSuspicion(this::suspect);
    }

    /**
     * Creates the checker of a topology and runs the first check of every node, within the connect
     * timeout. Used by {@link Database#open}; applications get the checker from
     * {@link Database#healthChecker()}.
     *
     * @throws DatabaseUnavailableException when no primary candidate accepts writes
     */
    public static HealthChecker attach(Topology topology, DbConfig config) {
        HealthChecker checker = new HealthChecker(topology, config);
        try {
            checker.checkAll(config.connectTimeout());
            checker.requireWritablePrimary();
            topology.refresh(); // the first checks decide which replicas take reads
        } catch (RuntimeException e) {
            checker.close();
            throw e;
        }
        return checker;
    }

    /**
     * The seed's {@code NewHealthChecker(db, interval, timeout)}: the Database's checker, from now on
     * checking every {@code interval} with checks bounded by {@code timeout}.
     */
    public static HealthChecker create(Database db, Duration interval, Duration timeout) {
        return db.healthChecker().reconfigure(interval, timeout);
    }

    /**
     * Changes the interval and timeout; a running checker continues at the new pace.
     *
     * @throws DbConfigException when the timeout is not shorter than the interval, or either is too short
     */
    public synchronized HealthChecker reconfigure(Duration newInterval, Duration newTimeout) {
        DbConfig checked = config.toBuilder().healthInterval(newInterval).healthTimeout(newTimeout).build();
        this.interval = checked.healthInterval();
        this.timeout = checked.healthTimeout();
        if (rounds != null) {
            stop();
            start();
        }
        return this;
    }

    /** Starts periodic checks; does nothing when they run. */
    public synchronized HealthChecker start() {
        if (closed) {
            throw new IllegalStateException("the health checker is closed (its Database was closed)");
        }
        if (rounds == null) {
            long every = interval.toMillis();
            rounds = executor.scheduleWithFixedDelay(this::runRound, every, every, TimeUnit.MILLISECONDS);
            long sampleEvery = Math.min(1000, every);
            sampler = executor.scheduleWithFixedDelay(this::sampleWal, sampleEvery, sampleEvery, TimeUnit.MILLISECONDS);
            stallWatch = executor.scheduleWithFixedDelay(this::watchForStalls, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** Stops periodic checks; routing keeps the last states (and statements that fail still trigger checks). */
    public synchronized void stop() {
        if (rounds != null) {
            rounds.cancel(false);
            sampler.cancel(false);
            stallWatch.cancel(false);
            rounds = null;
            sampler = null;
            stallWatch = null;
        }
    }

    /** True while periodic checks run. */
    public synchronized boolean isRunning() {
        return rounds != null;
    }

    /** Checks every node now (bounded by the health timeout) and returns the new status. */
    public HealthStatus check() {
        checkAll(timeout);
        return status();
    }

    /** The status as of the last checks; never queries a database. */
    public HealthStatus status() {
        Slot primary = primarySlot();
        List<NodeHealth> replicaHealth = replicas.stream().map(s -> s.health).toList();
        Instant oldest = replicaHealth.stream().map(NodeHealth::checkedAt).reduce(primary.health.checkedAt(),
                (a, b) -> a.isBefore(b) ? a : b);
        return new HealthStatus(primary.health.state() == NodeState.UP, primary.health, replicaHealth, oldest);
    }

    /** True when the primary takes writes (cached, like {@link #status()}). */
    public boolean isHealthy() {
        return primarySlot().health.state() == NodeState.UP;
    }

    /** Checks every node now and returns each replica's lag (replicas whose lag is unknown are left out). */
    public Map<String, Duration> checkReplicationLag() {
        Map<String, Duration> lags = new LinkedHashMap<>();
        for (NodeHealth replica : check().replicas()) {
            if (replica.lag() != null) {
                lags.put(replica.name(), replica.lag());
            }
        }
        return lags;
    }

    /**
     * Checks every node that is out of rotation again now, up to DB_HEALTH_RISE times in quick
     * succession, and refills the pools of those that answer; returns the nodes back in rotation.
     */
    public List<String> autoReconnect() {
        List<String> back = new ArrayList<>();
        List<Slot> all = new ArrayList<>(candidates);
        all.addAll(replicas);
        for (Slot slot : all) {
            if (slot.health.state().isGood()) {
                continue;
            }
            for (int i = 0; i < config.healthRise() && !slot.health.state().isGood(); i++) {
                if (i > 0) {
                    sleep(config.healthFastInterval());
                }
                checkNow(slot, timeout);
                if (!slot.health.state().isReachable()) {
                    break;
                }
            }
            if (slot.health.state().isGood()) {
                back.add(slot.name); // its pool holds a fresh connection: a check admits a node only then
            }
        }
        selectPrimary();
        return back;
    }

    /** Every node watched, with its check counters, for the metrics binder. */
    public List<CheckedNode> checkedNodes() {
        List<CheckedNode> all = new ArrayList<>(candidates);
        all.addAll(replicas);
        return List.copyOf(all);
    }

    /** How many times writes moved to another primary candidate. */
    public long roleChanges() {
        return roleChanges.sum();
    }

    public Duration interval() {
        return interval;
    }

    public Duration timeout() {
        return timeout;
    }

    @Override
    public synchronized void close() {
        closed = true;
        stop();
        executor.shutdownNow();
        candidates.forEach(s -> {
            s.probe.close();
            s.sampler.close();
        });
        replicas.forEach(s -> s.probe.close());
    }

    // ---------------------------------------------------------------- rounds

    private void runRound() {
        try {
            candidates.forEach(this::checkSoon);
            replicas.forEach(this::checkSoon);
        } catch (RuntimeException e) {
            LOG.warn("health check round failed: {}", e.toString());
        }
    }

    /** Checks every node in parallel and waits for all, at most the timeout plus a second. */
    private void checkAll(Duration checkTimeout) {
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
        });
    }

    /**
     * Statements in flight on a node that complete none for a while (a small multiple of their recent
     * time) make it suspect: a hung server (SIGSTOP, a stalled disk, a half-open connection) is then
     * checked at once instead of at the next round.
     */
    private void watchForStalls() {
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
    private void checkNow(Slot slot, Duration checkTimeout) {
        if (!slot.busy.compareAndSet(false, true)) {
            slot.again.set(true);
            return;
        }
        try {
            long start = System.nanoTime();
            Observation observation = admit(slot, slot.role == NodeRole.PRIMARY ? observeCandidate(slot, checkTimeout)
                    : observeReplica(slot, checkTimeout), checkTimeout);
            long nanos = System.nanoTime() - start;
            slot.checks.increment();
            slot.checkNanos.add(nanos);
            if (observation.failure != null) {
                slot.failures.get(observation.failure).increment();
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

    private void sampleWal() {
        Slot primary = primarySlot();
        try {
            long before = System.nanoTime();
            long position = primary.sampler.readWalPosition(timeout);
            history.add(before, System.nanoTime(), position);
        } catch (SQLException e) {
            // the primary's own check reports it; the history simply gets no sample
        }
    }

    // ---------------------------------------------------------------- observations

    /**
     * One check's result, before hysteresis.
     *
     * @param freshAsOf replicas: the last time the primary was seen at a position the replica replayed; Long.MIN_VALUE when unknown
     */
    private record Observation(NodeState state, String reason, CheckedNode.Failure failure, Double lagSeconds, Long lagBytes,
                               Long receiveLagBytes, Long walLsn, Long receivedLsn, Long timeline, long freshAsOf) {
        static Observation of(NodeState state, String reason) {
            return new Observation(state, reason, null, null, null, null, null, null, null, Long.MIN_VALUE);
        }
    }

    private Observation observeCandidate(Slot slot, Duration checkTimeout) {
        try {
            long before = System.nanoTime();
            NodeProbe.PrimaryReading r = slot.probe.readPrimary(checkTimeout);
            if (r.inRecovery()) {
                return Observation.of(NodeState.DEMOTED, "in recovery: it is a standby now");
            }
            if (slot == primarySlot()) {
                history.add(before, System.nanoTime(), r.walLsn());
            }
            return new Observation(NodeState.UP, "accepts writes (timeline " + r.timeline() + ")", null, null, null, null,
                    r.walLsn(), null, r.timeline(), Long.MIN_VALUE);
        } catch (SQLException e) {
            return failed(NodeState.DOWN, e);
        }
    }

    private Observation observeReplica(Slot slot, Duration checkTimeout) {
        NodeProbe.ReplicaReading r;
        try {
            r = slot.probe.readReplica(checkTimeout);
        } catch (SQLException e) {
            return failed(NodeState.UNREACHABLE, e);
        }
        if (!r.inRecovery()) {
            return Observation.of(NodeState.PROMOTED, "not in recovery: it was promoted and is no standby any more");
        }
        long primaryLsn = history.latest();
        Long lagBytes = null;
        Long receiveLagBytes = null;
        Double lagSeconds = null;
        long freshAsOf = r.replayedLsn() == null ? Long.MIN_VALUE : history.freshAsOf(r.replayedLsn());
        if (r.replayedLsn() != null && primaryLsn >= 0) {
            lagBytes = Lsn.distance(r.replayedLsn(), primaryLsn);
            long staleness = history.stalenessNanos(r.replayedLsn(), System.nanoTime());
            lagSeconds = staleness < 0 ? null : staleness / 1e9;
        }
        if (r.receivedLsn() != null && primaryLsn >= 0) {
            receiveLagBytes = Lsn.distance(r.receivedLsn(), primaryLsn);
        }
        NodeState state;
        String reason;
        if (r.receiverPid() == null) {
            state = NodeState.RECEIVER_DOWN;
            reason = "no WAL receiver is running: the replica cannot reach its upstream, or replication is not configured";
        } else if (r.receiverStatus() != null && !r.receiverStatus().equals("streaming")) {
            state = NodeState.RECEIVER_DOWN;
            reason = "the WAL receiver is " + r.receiverStatus() + ", not streaming";
        } else if (r.replayPaused()) {
            state = NodeState.REPLAY_PAUSED;
            reason = "WAL replay is paused (pg_wal_replay_pause); resume it with pg_wal_replay_resume()";
        } else if (lagSeconds != null && lagSeconds > config.maxReplicaLag().toNanos() / 1e9) {
            boolean gaining = slot.lastReplayed != null && r.replayedLsn() != null
                    && Long.compareUnsigned(r.replayedLsn(), slot.lastReplayed) > 0
                    && slot.lastLagBytes != null && lagBytes < slot.lastLagBytes;
            state = gaining ? NodeState.CATCHING_UP : NodeState.LAGGING;
            reason = String.format(java.util.Locale.ROOT, "%.1f s behind (%d bytes), over the maximum lag of %s%s", lagSeconds, lagBytes,
                    Durations.format(config.maxReplicaLag()), gaining ? ", gaining ground" : "");
        } else {
            state = NodeState.STREAMING;
            reason = lagSeconds == null ? "streaming" : String.format(java.util.Locale.ROOT, "streaming, %.1f s behind", lagSeconds);
        }
        slot.lastReplayed = r.replayedLsn();
        slot.lastLagBytes = lagBytes;
        return new Observation(state, reason, null, lagSeconds, lagBytes, receiveLagBytes, r.replayedLsn(), r.receivedLsn(), null,
                freshAsOf);
    }

    /**
     * A node that answers may take statements only once its pool can give them a connection: the pool
     * may connect to it again and, when it holds no connection, opens one now (which HikariCP
     * validates). A node whose pool cannot connect stays out of rotation, so no caller waits on an
     * empty pool.
     */
    private static Observation admit(Slot slot, Observation o, Duration checkTimeout) {
        NodePool pool = slot.pool;
        if (pool == null || !o.state.isReachable()) {
            return o;
        }
        try {
            pool.warm(checkTimeout);
            return o;
        } catch (SQLException e) {
            Observation f = failed(slot.role == NodeRole.PRIMARY ? NodeState.DOWN : NodeState.UNREACHABLE, e);
            return new Observation(f.state, "answers checks, but its pool cannot open a connection: " + f.reason, f.failure,
                    null, null, null, null, null, null, Long.MIN_VALUE);
        }
    }

    private static Observation failed(NodeState state, SQLException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        if (message.endsWith(".")) {
            message = message.substring(0, message.length() - 1);
        }
        CheckedNode.Failure failure;
        if (e instanceof SQLTimeoutException || "57014".equals(e.getSQLState())
                || (e.getCause() instanceof java.net.SocketTimeoutException)) {
            failure = CheckedNode.Failure.TIMEOUT;
        } else if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
            failure = CheckedNode.Failure.CONNECT;
        } else {
            failure = CheckedNode.Failure.QUERY;
        }
        return new Observation(state, message, failure, null, null, null, null, null, null, Long.MIN_VALUE);
    }

    /** Runs the observation through hysteresis and publishes the resulting health to routing. */
    private void apply(Slot slot, Observation o, Duration took) {
        NodePool pool = slot.pool;
        // a check that finds the node not answering while its statements stall, or after one lost its
        // connection, is not a blip: the node leaves rotation at once
        boolean conclusive = !o.state.isReachable() && (slot.suspected || (pool != null && pool.isStalled(System.nanoTime())));
        StateTracker.Change change = slot.tracker.observe(o.state, o.reason, conclusive);
        if (o.state.isReachable()) {
            slot.suspected = false;
        }
        String reason = slot.tracker.reason();
        if (slot.tracker.pending()) {
            int needed = o.state.isGood() ? config.healthRise() : config.healthFall();
            reason = reason + "; last check: " + o.state + " (" + o.reason + "), " + slot.tracker.streak() + " of " + needed
                    + " checks to change";
        }
        Long walLsn = o.walLsn != null ? o.walLsn : (slot.health.walLsn());
        Long timeline = o.timeline != null ? o.timeline : slot.health.timeline();
        NodeHealth health = new NodeHealth(slot.name, slot.role, slot.address, slot.tracker.state(), reason, slot.tracker.since(),
                o.lagSeconds, o.lagBytes, o.receiveLagBytes, walLsn, o.receivedLsn, timeline, Instant.now(), took);
        // Routing changes before the new state is published: whoever sees the state (db.nodes(), the
        // health endpoint) may rely on reads already following it.
        if (pool != null) {
            pool.setFreshAsOf(o.freshAsOf);
            pool.setHealth(health);
        }
        if (change.changed()) {
            topology.refresh();
        }
        long aborted = 0;
        if (change.changed() && change.from() != null && pool != null) {
            if (change.from().isReachable() && !change.to().isReachable()) {
                // statements blocked on a node that stopped answering fail now, and reads among them are
                // retried elsewhere; the pool's old connections are retired (a returning node gets fresh ones)
                long before = pool.counters().aborted();
                pool.abortInFlight();
                aborted = pool.counters().aborted() - before;
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
        if (slot.tracker.pending() && (!o.state.isReachable() || !slot.tracker.state().isReachable())) {
            if (o.failure == CheckedNode.Failure.TIMEOUT) {
                checkSoon(slot);
            } else {
                checkLater(slot);
            }
        }
    }

    // ---------------------------------------------------------------- the primary

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
    private synchronized void selectPrimary() {
        Slot current = primarySlot();
        Optional<Slot> best = candidates.stream()
                .filter(s -> s.health.state() == NodeState.UP && s.health.timeline() != null)
                .max(Comparator.comparingLong((Slot s) -> s.health.timeline()).thenComparing(s -> -candidates.indexOf(s)));
        if (best.isEmpty() || best.get() == current) {
            return;
        }
        Slot next = best.get();
        boolean currentWritable = current.health.state() == NodeState.UP;
        long currentTimeline = current.health.timeline() == null ? -1 : current.health.timeline();
        if (currentWritable && next.health.timeline() <= currentTimeline) {
            return;
        }
        NodePool pool = topology.primaryPool(next.address);
        next.pool = pool;
        pool.setHealth(next.health);
        topology.switchPrimary(pool);
        history.clear(); // the old primary's WAL positions say nothing about the new one's
        roleChanges.increment();
        if (currentWritable) {
            LOG.error("split brain: {} ({}) and {} ({}) both accept writes; writes go to {}, on the newer timeline {}",
                    current.name, current.address, next.name, next.address, next.name, next.health.timeline());
        } else {
            LOG.warn("the primary is now {} ({}, timeline {}); {} ({}) is {}", next.name, next.address, next.health.timeline(),
                    current.name, current.address, current.health.state());
        }
    }

    private void requireWritablePrimary() {
        Slot primary = primarySlot();
        if (primary.health.state() == NodeState.UP) {
            return;
        }
        String where = candidates.size() == 1 ? "the primary " + primary.address
                : "any primary candidate of " + topology.primaryCandidates();
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

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One watched node: its probe, hysteresis, latest health and check counters. */
    private final class Slot implements CheckedNode {
        final String name;
        final NodeRole role;
        final HostAndPort address;
        final NodeProbe probe;
        NodeProbe sampler; // primary candidates only
        volatile boolean suspected;
        final StateTracker tracker = new StateTracker(config.healthFall(), config.healthRise());
        final AtomicBoolean busy = new AtomicBoolean();
        final AtomicBoolean again = new AtomicBoolean();
        final LongAdder checks = new LongAdder();
        final LongAdder checkNanos = new LongAdder();
        final Map<Failure, LongAdder> failures = new EnumMap<>(Failure.class);
        volatile NodePool pool;
        volatile NodeHealth health;
        Long lastReplayed;
        Long lastLagBytes;

        Slot(String name, NodeRole role, HostAndPort address, NodeProbe probe, NodePool pool) {
            this.name = name;
            this.role = role;
            this.address = address;
            this.probe = probe;
            this.pool = pool;
            this.health = NodeHealth.unchecked(name, role, address);
            for (Failure f : Failure.values()) {
                failures.put(f, new LongAdder());
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
}
