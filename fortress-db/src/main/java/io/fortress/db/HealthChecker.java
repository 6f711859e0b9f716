package io.fortress.db;

import io.fortress.db.internal.health.CheckedNode;
import io.fortress.db.api.HealthStatus;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.internal.health.NodeChecks;
import io.fortress.db.internal.health.PatroniWatch;

import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.internal.pool.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Watches every node of a {@link Database} and keeps the states routing follows: checks each node on a
 * connection of its own (never the application pools), every interval and at once when statements on
 * it stall or fail; measures replication lag in bytes and, from a history of the primary's WAL
 * positions sampled every second, in seconds that are right on an idle primary, keep growing when
 * replay is paused or the WAL receiver is gone, and do not depend on the servers' clocks; applies
 * hysteresis (DB_HEALTH_FALL bad checks to leave rotation, DB_HEALTH_RISE good ones to return); aborts
 * the statements of a node that stopped answering; admits a returning node once its pool holds a
 * connection; and, with several DB_HOST candidates, sends writes to the one that accepts them on the
 * newest timeline.
 *
 * <p>Every Database has one, started when it opens: {@link Database#healthChecker()}. Callers read
 * the cached {@link #status()} (with its age), so any number of health requests costs the servers
 * nothing. Thread-safe.
 */
public final class HealthChecker implements AutoCloseable {
    /** How often the stall watch looks at the statements in flight on every node. */
    private static final long WATCH_MILLIS = 50;

    private final NodeChecks checks;
    private final DbConfig config;
    private volatile Duration interval;
    private volatile Duration timeout;
    private ScheduledFuture<?> rounds;
    private ScheduledFuture<?> sampler;
    private ScheduledFuture<?> stallWatch;
    private volatile boolean closed;

    private HealthChecker(Topology topology, DbConfig config, PatroniWatch patroni) {
        this.checks = new NodeChecks(topology, config, patroni);
        this.config = config;
        this.interval = config.healthInterval();
        this.timeout = config.healthTimeout();
    }

    /**
     * Creates the checker of a topology and runs the first check of every node, within the connect
     * timeout. Used by {@link Database#open}; applications get the checker from
     * {@link Database#healthChecker()}.
     *
     * @throws DatabaseUnavailableException when no primary candidate accepts writes
     */
    static HealthChecker attach(Topology topology, DbConfig config, PatroniWatch patroni) {
        HealthChecker checker = new HealthChecker(topology, config, patroni);
        try {
            checker.checks.checkAll(config.connectTimeout());
            checker.checks.requireWritablePrimary();
            topology.refresh(); // the first checks decide which replicas take reads
        } catch (RuntimeException e) {
            checker.close();
            throw e;
        }
        return checker;
    }

    /**
     * {@code NewHealthChecker(db, interval, timeout)} of the Go layer fortress replaces: the Database's checker, from now on
     * checking every {@code interval} with checks bounded by {@code timeout}.
     */
    public static HealthChecker create(Database db, Duration interval, Duration timeout) {
        return db.healthChecker().reconfigure(interval, timeout);
    }

    /**
     * Changes the interval and timeout; a running checker continues at the new pace.
     *
     * @throws DbConfigException when the timeout exceeds the interval, or either is too short
     */
    public synchronized HealthChecker reconfigure(Duration newInterval, Duration newTimeout) {
        DbConfig checked = config.toBuilder().healthInterval(newInterval).healthTimeout(newTimeout).build();
        this.interval = checked.healthInterval();
        this.timeout = checked.healthTimeout();
        checks.timeout(timeout);
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
            var executor = checks.executor();
            rounds = executor.scheduleWithFixedDelay(checks::runRound, every, every, TimeUnit.MILLISECONDS);
            long sampleEvery = Math.min(1000, every);
            sampler = executor.scheduleWithFixedDelay(checks::sampleWal, sampleEvery, sampleEvery, TimeUnit.MILLISECONDS);
            stallWatch = executor.scheduleWithFixedDelay(checks::watchForStalls, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
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
        checks.checkAll(timeout);
        return status();
    }

    /** The status as of the last checks; never queries a database. */
    public HealthStatus status() {
        return checks.status();
    }

    /** True when the primary takes writes (cached, like {@link #status()}). */
    public boolean isHealthy() {
        return status().primaryHealthy();
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
     * succession; returns the nodes back in rotation (each with a fresh connection in its pool).
     */
    public List<String> autoReconnect() {
        return checks.autoReconnect(config.healthRise(), config.healthFastInterval());
    }

    /** Every node watched, with its check counters, for the metrics binder. */
    List<CheckedNode> checkedNodes() {
        return checks.checkedNodes();
    }

    /** How many times writes moved to another primary candidate. */
    public long roleChanges() {
        return checks.roleChanges();
    }

    public Duration interval() {
        return interval;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The checks themselves, for the metrics binder. */
    NodeChecks checks() {
        return checks;
    }

    @Override
    public synchronized void close() {
        closed = true;
        stop();
        checks.close();
    }
}
