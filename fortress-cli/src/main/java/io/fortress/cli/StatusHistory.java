package io.fortress.cli;

import io.fortress.db.api.DaemonThreads;
import io.fortress.db.Database;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;
import io.fortress.db.migrate.MigrationManager;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The last 15 minutes of every node, for the status page: a sample every {@link #STEP} of its state,
 * lag and statement counters (read from the same meters /metrics exports), plus the migrations'
 * drift findings every {@link #FINDINGS_EVERY} samples. Sampling runs on a thread of its own, so a
 * page load never queries a database.
 */
final class StatusHistory implements AutoCloseable {
    static final Duration STEP = Duration.ofSeconds(5);
    static final int SAMPLES = (int) (Duration.ofMinutes(15).toSeconds() / STEP.toSeconds());
    private static final int FINDINGS_EVERY = 6;

    /** One node at one moment; counters are totals since start (rates come from differences). */
    record Point(Instant at, NodeState state, Double lagSeconds, Long lagBytes, double queries, double errors, double slow,
                 double inUse, double idle, double pending) {
    }

    /**
     * The hedged reads' counters at one moment (totals since start), in {@link #HEDGE_METERS} order:
     * sent, won, denied, unsent, cancels, cancels unanswered, aborts.
     */
    record Hedges(Instant at, double[] totals) {
    }

    /** The meters of hedged reads the page shows, in the order of {@link Hedges#totals()}. */
    static final List<String> HEDGE_METERS = List.of("fortress.db.read.hedges", "fortress.db.read.hedges.won",
            "fortress.db.read.hedges.denied", "fortress.db.read.hedges.unsent", "fortress.db.read.hedge.cancels",
            "fortress.db.read.hedge.cancels.unanswered", "fortress.db.read.hedge.aborts");

    private final Database db;
    private final MeterRegistry registry;
    private final Map<Service, MigrationManager> managers;
    private final Map<String, Deque<Point>> nodes = new LinkedHashMap<>();
    private volatile Map<Service, List<String>> findings = Map.of();
    private final Deque<Hedges> hedges = new ArrayDeque<>(); // guarded by itself
    private final ScheduledExecutorService sampler;
    private long samples;

    StatusHistory(Database db, MeterRegistry registry, Map<Service, MigrationManager> managers) {
        this.db = db;
        this.registry = registry;
        this.managers = managers;
        sample();
        this.sampler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("fortress-status-history"));
        sampler.scheduleWithFixedDelay(this::sample, STEP.toMillis(), STEP.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sample() {
        try {
            Instant now = Instant.now();
            for (NodeHealth n : db.healthChecker().status().nodes()) {
                Point p = new Point(now, n.state(), n.lagSeconds(), n.lagBytes(), total("fortress.db.queries", "node", n.name()),
                        total("fortress.db.query.errors", "node", n.name()), total("fortress.db.slow.queries", "node", n.name()),
                        total("hikaricp.connections.active", "pool", n.name()), total("hikaricp.connections.idle", "pool", n.name()),
                        total("hikaricp.connections.pending", "pool", n.name()));
                synchronized (nodes) {
                    Deque<Point> points = nodes.computeIfAbsent(n.name(), k -> new ArrayDeque<>());
                    points.addLast(p);
                    while (points.size() > SAMPLES) {
                        points.removeFirst();
                    }
                }
            }
            if (db.config().hedgeReads()) {
                Hedges sample = new Hedges(now, HEDGE_METERS.stream().mapToDouble(name -> total(name, null, null)).toArray());
                synchronized (hedges) {
                    hedges.addLast(sample);
                    while (hedges.size() > SAMPLES) {
                        hedges.removeFirst();
                    }
                }
            }
            if (samples++ % FINDINGS_EVERY == 0) {
                Map<Service, List<String>> found = new LinkedHashMap<>();
                managers.forEach((service, manager) -> {
                    try {
                        found.put(service, manager.status().findings().stream()
                                .map(f -> f.severity().name().toLowerCase(java.util.Locale.ROOT) + ": " + f.message()).toList());
                    } catch (RuntimeException e) {
                        found.put(service, List.of("cannot read the schema: " + e.getMessage()));
                    }
                });
                findings = found;
            }
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(StatusHistory.class).debug("status sample failed: {}", e.toString());
        }
    }

    /** The sum of the meters of this name and tag, or of every meter of the name when the tag is null (NaN when there is none). */
    private double total(String name, String tag, String value) {
        double sum = 0;
        boolean any = false;
        for (Meter m : (tag == null ? registry.find(name) : registry.find(name).tag(tag, value)).meters()) {
            for (Measurement measurement : m.measure()) {
                sum += measurement.getValue();
                any = true;
            }
        }
        return any ? sum : Double.NaN;
    }

    /** A node's samples, oldest first. */
    List<Point> points(String node) {
        synchronized (nodes) {
            Deque<Point> points = nodes.get(node);
            return points == null ? List.of() : new ArrayList<>(points);
        }
    }

    /** The hedged reads' counters, oldest first (none while DB_HEDGE_READS is off). */
    List<Hedges> hedges() {
        synchronized (hedges) {
            return new ArrayList<>(hedges);
        }
    }

    /** What the last validation of each service's migrations found (checksum drift, missing files...). */
    Map<Service, List<String>> findings() {
        return findings;
    }

    @Override
    public void close() {
        sampler.shutdownNow();
    }
}
