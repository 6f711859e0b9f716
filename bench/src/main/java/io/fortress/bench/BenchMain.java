package io.fortress.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.cluster.PgBouncers;
import io.fortress.db.Database;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * bench/run: starts a LocalCluster (a primary and two streaming replicas), loads pgbench data, and
 * runs every workload against its baseline side by side, alternating the contenders each round so
 * that machine noise hits all of them alike. Prints a table and writes bench/results/.
 *
 * <p>Options: {@code --rounds N} (3), {@code --warmup S} (2), {@code --measure S} (5),
 * {@code --scale N} (10), {@code --quick} (1 round of 1 + 2 s), {@code --results DIR} (bench/results),
 * {@code --only W1,pgbouncer,W2,W3,W4,W5,W6,W7,backup,migrations,memory,jmh} (everything).
 */
public final class BenchMain {
    private int rounds = 3;
    private double warmup = 2;
    private double measure = 5;
    private int scale = 10;
    private Path resultsDir = Path.of("bench", "results");
    private java.util.Set<String> only = java.util.Set.of();
    private final Results results = new Results();

    public static void main(String[] args) throws Exception {
        BenchMain bench = new BenchMain();
        bench.parse(args);
        bench.run(String.join(" ", args));
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--measure" -> measure = Double.parseDouble(args[++i]);
                case "--scale" -> scale = Integer.parseInt(args[++i]);
                case "--results" -> resultsDir = Path.of(args[++i]);
                case "--only" -> only = java.util.Set.of(args[++i].split(","));
                case "--quick" -> {
                    rounds = 1;
                    warmup = 1;
                    measure = 2;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; accepted: --rounds N, --warmup S, --measure S, --scale N, --quick, --results DIR,"
                        + " --only W1,pgbouncer,W2,W3,W4,W5,W6,W7,backup,migrations,memory,jmh");
            }
        }
    }

    private void run(String arguments) throws Exception {
        long started = System.nanoTime();
        String pgVersion;
        try (LocalCluster cluster = LocalCluster.builder().replicas(2).setting("shared_buffers", "256MB").start();
             PgBench pgbench = new PgBench(cluster);
             OperationsBench operations = new OperationsBench(cluster, results, rounds)) {
            pgVersion = cluster.primary().queryValue("SHOW server_version");
            log("loading pgbench data, scale " + scale);
            pgbench.initialize(scale);
            cluster.primary().execute("VACUUM ANALYZE");
            // flush the load now, so that no contender's round pays for its checkpoint
            cluster.primary().execute("CHECKPOINT");
            cluster.awaitReplication(Duration.ofMinutes(5));

            if (selected("W1")) {
                pointReads(cluster, pgbench, 8);
                pointReads(cluster, pgbench, 32);
            }
            if (selected("W1") || selected("pgbouncer")) {
                pointReadsThroughPgBouncer(cluster, 8);
            }
            if (selected("W2")) {
                transactions(cluster, pgbench, 8);
            }
            if (selected("W3")) {
                readYourWrites(cluster, 8);
            }
            if (selected("W4")) {
                log("W4: reads while a replica is frozen for 15 s and another killed and restarted, on a cluster of their own");
                new FaultBench(results, rounds).run();
            }
            if (selected("W5")) {
                log("W5: the write gap of nine Patroni switchovers, fortress against a pgjdbc multi-host URL, on a Patroni cluster of its own");
                new SwitchoverBench(results).run();
            }
            if (selected("W6")) {
                log("W6: the Spring Boot example's read endpoint, with the starter against a plain HikariCP DataSource on the primary");
                new SpringBench(cluster, results, rounds, warmup, measure).run();
            }
            if (selected("W7")) {
                log("W7: Spring Data JPA (findById in read-only transactions, save in read-write ones) with the starter against plain Spring Boot, 8 and 32 threads");
                new JpaBench(cluster, results, rounds, warmup, measure).run();
            }
            if (selected("backup")) {
                log("backups: fortress backup create against pg_dump -Fc");
                operations.backups();
            }
            if (selected("migrations")) {
                log("migrations: 200 small migrations against psql, and the fast path");
                operations.migrations();
            }
            if (selected("memory")) {
                memory(cluster);
                operations.serveMemory();
            }
        }
        if (selected("jmh")) {
            routingMicroBenchmark();
        }

        String date = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        String header = header(arguments, pgVersion, Duration.ofNanos(System.nanoTime() - started));
        System.out.println();
        System.out.println(header);
        System.out.println(results.table());
        results.write(resultsDir, header, date);
        log("results written to " + resultsDir.resolve(date + ".md") + " and " + resultsDir.resolve("latest.json"));
    }

    private boolean selected(String part) {
        return only.isEmpty() || only.contains(part);
    }

    // ---------------------------------------------------------------- W1

    private void pointReads(LocalCluster cluster, PgBench pgbench, int threads) throws Exception {
        String name = "W1 point read, " + threads + " threads";
        HikariDataSource rawPrimary = Contenders.rawPool(cluster, cluster.primary(), threads);
        List<HikariDataSource> rawReplicas = List.of(Contenders.rawPool(cluster, cluster.replica(1), threads),
                Contenders.rawPool(cluster, cluster.replica(2), threads));
        try (rawPrimary; Database primaryOnly = Contenders.fortress(cluster, false, threads);
             Database routed = Contenders.fortress(cluster, true, threads);
             Database hedged = Contenders.fortress(cluster, true, true, threads, null)) {
            Map<String, Contender> contenders = new LinkedHashMap<>();
            contenders.put("raw HikariCP, primary", new Contender(Contenders.rawRead(rawPrimary, scale)));
            contenders.put("fortress, primary only", new Contender(Contenders.fortressRead(primaryOnly, scale)));
            contenders.put("round robin, raw replicas", new Contender(Contenders.roundRobinRead(rawReplicas, scale)));
            contenders.put("fortress, replicas", new Contender(Contenders.fortressRead(routed, scale)));
            contenders.put("fortress, replicas, hedged", new Contender(Contenders.fortressRead(hedged, scale)));
            contenders.put("pgbench -S, primary", new Contender(cluster.primary(), "-S"));
            measure(name, threads, contenders, pgbench);
            compareAll(name, contenders, "fortress, primary only", "raw HikariCP, primary", "≥0.97", "≤1.05");
            compareAll(name, contenders, "fortress, replicas", "round robin, raw replicas", "≥0.97", null);
            compareAll(name, contenders, "fortress, replicas, hedged", "fortress, replicas", "≥0.97", null);
            compareAll(name, contenders, "pgbench -S, primary", "raw HikariCP, primary", "reference", null);
        } finally {
            rawReplicas.forEach(HikariDataSource::close);
        }
        hedgedFraction(cluster, name, threads);
    }

    /**
     * The share of reads hedged on a healthy cluster, from a run of its own with meters on (the measured
     * contenders run without, like the raw pools they are compared with).
     */
    private void hedgedFraction(LocalCluster cluster, String name, int threads) throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (Database hedged = Contenders.fortress(cluster, true, true, threads, meters)) {
            LoadRunner.Operation read = Contenders.fortressRead(hedged, scale);
            LongAdder reads = new LongAdder();
            LoadRunner.run(threads, 0, warmup + measure, random -> {
                read.run(random);
                reads.increment();
            });
            Figures percent = new Figures();
            percent.add(100.0 * meters.get("fortress.db.read.hedges").functionCounter().count() / Math.max(1, reads.sum()));
            results.figure(name, "fortress, replicas, hedged: reads hedged (target ≤2)", "percent", percent);
        }
    }

    /**
     * W1 through a PgBouncer (transaction pooling, as many server connections as client threads) in front
     * of every node: fortress against raw HikariCP through the same PgBouncers, and PgBouncer's own cost
     * against raw HikariCP on the servers directly. fortress reads the replicas twice: as an ordinary
     * role (each read carries its read-only guard), and as a role whose sessions the server makes
     * read-only (ALTER ROLE ... SET default_transaction_read_only = on), which makes the guard unneeded.
     */
    private void pointReadsThroughPgBouncer(LocalCluster cluster, int threads) throws Exception {
        String name = "W1 point read through PgBouncer, " + threads + " threads";
        String readerPassword = java.util.UUID.randomUUID().toString();
        cluster.primary().execute("DROP ROLE IF EXISTS bench_reader; CREATE ROLE bench_reader LOGIN PASSWORD '" + readerPassword + "'; "
                + "GRANT SELECT ON pgbench_accounts TO bench_reader; ALTER ROLE bench_reader SET default_transaction_read_only = on");
        cluster.awaitReplication(Duration.ofMinutes(1));
        try (PgBouncers bouncers = PgBouncers.start(cluster, threads, false)) {
            bouncers.addUser("bench_reader", readerPassword);
            HikariDataSource rawDirect = Contenders.rawPool(cluster, cluster.primary(), threads);
            HikariDataSource rawPrimary = Contenders.rawPoolThrough(cluster, bouncers.primaryAddress(), threads);
            List<HikariDataSource> rawReplicas = List.of(
                    Contenders.rawPoolThrough(cluster, bouncers.front(cluster.replica(1)).address(), threads),
                    Contenders.rawPoolThrough(cluster, bouncers.front(cluster.replica(2)).address(), threads));
            try (rawDirect; rawPrimary;
                 Database primaryOnly = Contenders.fortressThrough(cluster, bouncers, false, threads, null, null);
                 Database guarded = Contenders.fortressThrough(cluster, bouncers, true, threads, null, null);
                 Database readOnlyRole = Contenders.fortressThrough(cluster, bouncers, true, threads, "bench_reader", readerPassword)) {
                Map<String, Contender> contenders = new LinkedHashMap<>();
                contenders.put("raw HikariCP via PgBouncer, primary", new Contender(Contenders.rawRead(rawPrimary, scale)));
                contenders.put("fortress via PgBouncer, primary only", new Contender(Contenders.fortressRead(primaryOnly, scale)));
                contenders.put("round robin via PgBouncers, replicas", new Contender(Contenders.roundRobinRead(rawReplicas, scale)));
                contenders.put("fortress via PgBouncers, replicas, read-only role", new Contender(Contenders.fortressRead(readOnlyRole, scale)));
                contenders.put("fortress via PgBouncers, replicas, guard per read", new Contender(Contenders.fortressRead(guarded, scale)));
                contenders.put("raw HikariCP, primary (direct)", new Contender(Contenders.rawRead(rawDirect, scale)));
                measure(name, threads, contenders, null);
                compareAll(name, contenders, "fortress via PgBouncer, primary only", "raw HikariCP via PgBouncer, primary", "≥0.97", null);
                compareAll(name, contenders, "fortress via PgBouncers, replicas, read-only role", "round robin via PgBouncers, replicas",
                        "≥0.97", null);
                compareAll(name, contenders, "fortress via PgBouncers, replicas, guard per read", "round robin via PgBouncers, replicas",
                        "", null);
                compareAll(name, contenders, "raw HikariCP via PgBouncer, primary", "raw HikariCP, primary (direct)", "reference", null);
            } finally {
                rawReplicas.forEach(HikariDataSource::close);
            }
        }
    }

    // ---------------------------------------------------------------- W2

    private void transactions(LocalCluster cluster, PgBench pgbench, int threads) throws Exception {
        String name = "W2 TPC-B-like tx, " + threads + " threads";
        try (HikariDataSource raw = Contenders.rawPool(cluster, cluster.primary(), threads);
             Database db = Contenders.fortress(cluster, false, threads)) {
            Map<String, Contender> contenders = new LinkedHashMap<>();
            contenders.put("raw HikariCP transaction", new Contender(Contenders.rawTpcb(raw, scale)));
            contenders.put("fortress useTransaction", new Contender(Contenders.fortressTpcb(db, scale)));
            contenders.put("pgbench (TPC-B-like)", new Contender(cluster.primary(), null));
            measure(name, threads, contenders, pgbench);
            compareAll(name, contenders, "fortress useTransaction", "raw HikariCP transaction", "", null);
            compareAll(name, contenders, "pgbench (TPC-B-like)", "raw HikariCP transaction", "reference", null);
        }
    }

    // ---------------------------------------------------------------- W3

    private void readYourWrites(LocalCluster cluster, int threads) throws Exception {
        String name = "W3 write, then read it, " + threads + " threads";
        try (Database db = Contenders.fortress(cluster, true, threads)) {
            Map<String, Contender> contenders = new LinkedHashMap<>();
            contenders.put("read on primary (strong)", new Contender(Contenders.writeThenReadFromPrimary(db, scale)));
            contenders.put("read-your-writes token", new Contender(Contenders.writeThenReadWithToken(db, scale)));
            measure(name, threads, contenders, null);
            compareAll(name, contenders, "read-your-writes token", "read on primary (strong)", "", null);
        }
    }

    // ---------------------------------------------------------------- memory

    private void memory(LocalCluster cluster) throws Exception {
        Figures jvm = new Figures();
        Figures database = new Figures();
        for (int r = 0; r < rounds; r++) {
            jvm.add(residentMiB(cluster, "none"));
            database.add(residentMiB(cluster, "database"));
        }
        results.figure("memory, idle JVM (-Xmx256m)", "JVM and classpath only", "rss_mib", jvm);
        results.figure("memory, idle JVM (-Xmx256m)", "Database, primary + 2 replicas", "rss_mib", database);
    }

    private double residentMiB(LocalCluster cluster, String mode) throws Exception {
        try (Children.Jvm child = Children.startJvm(cluster, "MemoryChild " + mode,
                List.of("-cp", System.getProperty("java.class.path"), MemoryChild.class.getName(), mode), Map.of(), "READY",
                Duration.ofSeconds(10))) {
            child.awaitReady(Duration.ofMinutes(2));
            Thread.sleep(3000);
            return child.residentMiB();
        }
    }

    // ---------------------------------------------------------------- JMH

    private void routingMicroBenchmark() throws Exception {
        log("JMH: routing decision and metrics recording");
        Options options = new OptionsBuilder()
                .include(RoutingBenchmark.class.getName())
                .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .forks(1).threads(1).shouldFailOnError(true).build();
        Figures ns = new Figures();
        for (RunResult result : new Runner(options).run()) {
            result.getBenchmarkResults().forEach(b -> b.getIterationResults().forEach(i -> ns.add(i.getPrimaryResult().getScore())));
        }
        results.figure("routing + metrics per read (JMH, no database)", "fortress read policy (target ≤100 ns)", "ns_per_call", ns);
    }

    // ---------------------------------------------------------------- plumbing

    /** A contender: an operation run by LoadRunner, or a pgbench run. */
    private static final class Contender {
        final LoadRunner.Operation operation;
        final Node pgbenchNode;
        final String pgbenchBuiltin;
        final Figures throughput = new Figures();
        final Figures p50 = new Figures();
        final Figures p99 = new Figures();
        final Figures clientCpu = new Figures();

        Contender(LoadRunner.Operation operation) {
            this.operation = operation;
            this.pgbenchNode = null;
            this.pgbenchBuiltin = null;
        }

        Contender(Node node, String builtin) {
            this.operation = null;
            this.pgbenchNode = node;
            this.pgbenchBuiltin = builtin;
        }
    }

    private void measure(String name, int threads, Map<String, Contender> contenders, PgBench pgbench) throws Exception {
        List<String> order = new ArrayList<>(contenders.keySet());
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < order.size(); i++) {
                String contenderName = order.get((i + round) % order.size());
                Contender c = contenders.get(contenderName);
                LoadRunner.Run run;
                if (c.operation != null) {
                    run = LoadRunner.run(threads, warmup, measure, c.operation);
                } else {
                    pgbench.run(c.pgbenchNode, c.pgbenchBuiltin, threads, Math.max(1, warmup));
                    run = pgbench.run(c.pgbenchNode, c.pgbenchBuiltin, threads, measure);
                }
                c.throughput.add(run.throughput());
                c.p50.add(run.percentileMillis(50));
                c.p99.add(run.percentileMillis(99));
                if (!Double.isNaN(run.clientCpuMicrosPerOp())) {
                    c.clientCpu.add(run.clientCpuMicrosPerOp());
                }
                log(String.format(Locale.ROOT, "%s, round %d, %-28s %10.0f ops/s  p50 %.3f ms  p99 %.3f ms", name, round + 1,
                        contenderName, run.throughput(), run.percentileMillis(50), run.percentileMillis(99)));
            }
        }
    }

    private void compareAll(String name, Map<String, Contender> contenders, String contender, String baseline,
                            String throughputTarget, String p99Target) {
        Contender c = contenders.get(contender);
        Contender b = contenders.get(baseline);
        results.compare(name, contender, baseline, "throughput_ops", c.throughput, b.throughput, throughputTarget);
        results.compare(name, contender, baseline, "p50_ms", c.p50, b.p50, "");
        results.compare(name, contender, baseline, "p99_ms", c.p99, b.p99, p99Target == null ? "" : p99Target);
        if (!c.clientCpu.isEmpty() && !b.clientCpu.isEmpty()) {
            results.compare(name, contender, baseline, "client_cpu_us_op", c.clientCpu, b.clientCpu, "");
        }
    }

    private String header(String arguments, String pgVersion, Duration took) throws Exception {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        return "# fortress-db benchmarks, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME) + "\n\n"
                + "- command: `bench/run" + (arguments.isEmpty() ? "" : " " + arguments) + "`\n"
                + "- machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), "
                + Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " ") + "\n"
                + "- Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), PostgreSQL "
                + pgVersion + ", pgbench scale " + scale + "\n"
                + "- " + rounds + " rounds, contenders alternated each round; warm-up " + warmup + " s, measured " + measure
                + " s; figures are medians of the rounds, ratios are contender / baseline\n"
                + "- took " + took.toSeconds() + " s\n";
    }

    static void log(String message) {
        System.out.println("[bench " + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + message);
    }
}
