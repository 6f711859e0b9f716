package io.fortress.bench;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;
import io.fortress.db.api.NodeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * W4, reads under faults: 8 threads of point reads for 40 s on a cluster of its own, while replica-1 is
 * frozen (SIGSTOP) from 5 s to 20 s and replica-2 is killed at 25 s and restarted at 30 s, with
 * DB_HEALTH_INTERVAL=1s and DB_HEALTH_TIMEOUT=1s. Reports the reads, the failed ones, the worst and
 * the p99 latency in each fault window, and how long fortress took to take each node out of rotation
 * and to put it back. Targets: no failed read, no read over 2 s.
 */
final class FaultBench {
    private static final String NAME = "W4 reads under faults, 8 threads";
    private static final int THREADS = 8;
    private static final int ROWS = 10_000;
    private static final double FREEZE_AT = 5;
    private static final double THAW_AT = 20;
    private static final double KILL_AT = 25;
    private static final double RESTART_AT = 30;
    private static final double END_AT = 40;

    private final Results results;
    private final int rounds;

    FaultBench(Results results, int rounds) {
        this.results = results;
        this.rounds = rounds;
    }

    /** One read: started at {@code start} (System.nanoTime), took {@code nanos}. */
    private record Read(long start, long nanos, boolean failed) {
    }

    /**
     * Every round twice, as configured by default and with hedged reads (DB_HEDGE_READS) on, each on a new
     * cluster; the order alternates from round to round, so that a drift of the machine weighs on both alike.
     */
    void run() throws Exception {
        Mode plain = new Mode(false);
        Mode hedged = new Mode(true);
        for (int round = 0; round < rounds; round++) {
            for (Mode mode : round % 2 == 0 ? List.of(plain, hedged) : List.of(hedged, plain)) {
                mode.measure(round);
            }
        }
        plain.report();
        hedged.report();
    }

    /** The figures of one configuration over the rounds. */
    private final class Mode {
        final boolean hedge;
        final String as;
        final Figures reads = new Figures();
        final Figures failed = new Figures();
        final Figures freezeMax = new Figures();
        final Figures freezeP99 = new Figures();
        final Figures killMax = new Figures();
        final Figures killP99 = new Figures();
        final Figures freezeDetect = new Figures();
        final Figures thawReadmit = new Figures();
        final Figures killDetect = new Figures();
        final Figures restartReadmit = new Figures();

        Mode(boolean hedge) {
            this.hedge = hedge;
            this.as = hedge ? "hedged reads on: " : "";
        }

        void measure(int round) throws Exception {
            try (LocalCluster cluster = LocalCluster.builder().replicas(2).start()) {
                cluster.primary().execute("CREATE TABLE fault_reads(id int PRIMARY KEY, v int);"
                        + " INSERT INTO fault_reads SELECT g, g FROM generate_series(1, " + ROWS + ") g");
                cluster.awaitReplication(Duration.ofSeconds(60));
                try (Database db = Database.open(config(cluster, hedge))) {
                    Round r = runRound(cluster, db);
                    reads.add(r.reads.stream().filter(x -> !x.failed).count());
                    failed.add(r.reads.stream().filter(Read::failed).count());
                    long t0 = r.t0;
                    Predicate<Read> inFreeze = x -> x.start + x.nanos >= at(t0, FREEZE_AT) && x.start <= r.thawed + r.thawReadmitNanos;
                    Predicate<Read> inKill = x -> x.start + x.nanos >= at(t0, KILL_AT) && x.start <= at(t0, END_AT);
                    freezeMax.add(percentileMillis(r.reads, inFreeze, 100));
                    freezeP99.add(percentileMillis(r.reads, inFreeze, 99));
                    killMax.add(percentileMillis(r.reads, inKill, 100));
                    killP99.add(percentileMillis(r.reads, inKill, 99));
                    freezeDetect.add(r.freezeDetectNanos / 1e9);
                    thawReadmit.add(r.thawReadmitNanos / 1e9);
                    killDetect.add(r.killDetectNanos / 1e9);
                    restartReadmit.add(r.restartReadmitNanos / 1e9);
                    log(String.format(Locale.ROOT, "W4 " + as + "round %d: %.0f reads, %.0f failed; frozen: max %.0f ms, p99 %.1f ms, detected in %.2f s,"
                                    + " back %.2f s after the thaw; killed: max %.0f ms, p99 %.1f ms, detected in %.2f s, back %.2f s after the restart",
                            round + 1, reads.last(), failed.last(), freezeMax.last(), freezeP99.last(), freezeDetect.last(), thawReadmit.last(),
                            killMax.last(), killP99.last(), killDetect.last(), restartReadmit.last()));
                }
            }
        }

        void report() {
            results.figure(NAME, as + "reads completed in 40 s", "reads", reads);
            results.figure(NAME, as + "failed reads (target 0)", "reads", failed);
            results.figure(NAME, as + "replica frozen 15 s: max (≤2000)", "latency_ms", freezeMax);
            results.figure(NAME, as + "replica frozen 15 s: p99", "latency_ms", freezeP99);
            results.figure(NAME, as + "replica frozen: out after", "seconds", freezeDetect);
            results.figure(NAME, as + "replica thawed: back after", "seconds", thawReadmit);
            results.figure(NAME, as + "replica killed, restarted: max (≤2000)", "latency_ms", killMax);
            results.figure(NAME, as + "replica killed, restarted: p99", "latency_ms", killP99);
            results.figure(NAME, as + "replica killed: out after", "seconds", killDetect);
            results.figure(NAME, as + "replica restarted: back after", "seconds", restartReadmit);
        }
    }

    private static DbConfig config(LocalCluster cluster, boolean hedge) {
        return DbConfig.builder()
                .host(Node.HOST).port(cluster.primary().port())
                .user(cluster.superuser()).password(cluster.password()).database(cluster.database())
                .replicaHosts(cluster.replicas().stream().map(Node::address).toList())
                .maxOpenConns(THREADS).maxIdleConns(THREADS)
                .healthInterval(Duration.ofSeconds(1)).healthTimeout(Duration.ofSeconds(1))
                .hedgeReads(hedge)
                .build();
    }

    private static final class Round {
        final List<Read> reads = new ArrayList<>();
        long t0;
        long thawed;
        long freezeDetectNanos;
        long thawReadmitNanos;
        long killDetectNanos;
        long restartReadmitNanos;
    }

    private static Round runRound(LocalCluster cluster, Database db) throws Exception {
        Round round = new Round();
        AtomicBoolean running = new AtomicBoolean(true);
        List<List<Read>> perThread = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        RowMapper<Integer> value = row -> row.getInt(1);
        for (int t = 0; t < THREADS; t++) {
            List<Read> mine = new ArrayList<>();
            perThread.add(mine);
            SplittableRandom random = new SplittableRandom(t * 31L + 7);
            Thread reader = new Thread(() -> {
                while (running.get()) {
                    long start = System.nanoTime();
                    boolean failed = false;
                    try {
                        db.queryOne("SELECT v FROM fault_reads WHERE id = ?", value, 1 + random.nextInt(ROWS));
                    } catch (RuntimeException e) {
                        failed = true;
                    }
                    mine.add(new Read(start, System.nanoTime() - start, failed));
                }
            }, "w4-reader-" + t);
            reader.setDaemon(true);
            readers.add(reader);
        }
        Node frozen = cluster.replica(1);
        Node killed = cluster.replica(2);
        round.t0 = System.nanoTime();
        readers.forEach(Thread::start);
        try {
            sleepUntil(at(round.t0, FREEZE_AT));
            long freezing = System.nanoTime();
            frozen.freeze();
            round.freezeDetectNanos = awaitState(db, 1, s -> s == NodeState.UNREACHABLE, freezing);
            sleepUntil(at(round.t0, THAW_AT));
            round.thawed = System.nanoTime();
            frozen.thaw();
            round.thawReadmitNanos = awaitState(db, 1, NodeState::isGood, round.thawed);
            sleepUntil(at(round.t0, KILL_AT));
            long killing = System.nanoTime(); // kill() returns once the processes are gone, often after the checker noticed
            killed.kill();
            round.killDetectNanos = awaitState(db, 2, s -> s == NodeState.UNREACHABLE, killing);
            sleepUntil(at(round.t0, RESTART_AT));
            long restarted = System.nanoTime();
            killed.start();
            round.restartReadmitNanos = awaitState(db, 2, NodeState::isGood, restarted);
            sleepUntil(at(round.t0, END_AT));
        } finally {
            frozen.thaw();
            running.set(false);
            for (Thread reader : readers) {
                reader.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
        perThread.forEach(round.reads::addAll);
        return round;
    }

    /** Nanoseconds from {@code since} until node {@code index} of db.nodes() is in a matching state (at most 60 s). */
    private static long awaitState(Database db, int index, Predicate<NodeState> state, long since) throws InterruptedException {
        long deadline = since + TimeUnit.SECONDS.toNanos(60);
        while (!state.test(db.nodes().get(index).state())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(db.nodes().get(index).name() + " stayed " + db.nodes().get(index).state() + " for 60 s");
            }
            Thread.sleep(5);
        }
        return System.nanoTime() - since;
    }

    private static long at(long t0, double seconds) {
        return t0 + (long) (seconds * 1e9);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static double percentileMillis(List<Read> reads, Predicate<Read> window, double p) {
        long[] sorted = reads.stream().filter(window).mapToLong(Read::nanos).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    private static void log(String message) {
        System.out.println("[bench " + java.time.LocalTime.now().withNano(0) + "] " + message);
    }
}
