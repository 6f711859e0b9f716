package io.fortress.bench;

import io.fortress.cluster.LocalCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * W7, Spring Data JPA on the starter: the JPA example's {@code findById} in read-only transactions
 * ({@code GET /orders/{id}}) with one {@code save} in a read-write transaction ({@code POST /orders})
 * every tenth request, at 8 and 32 client threads. The starter with its replicas, and the starter given
 * the primary alone (parity on one node), each against the same jar on Spring Boot's own HikariCP
 * DataSource on the primary, both applications loaded at once as in W6 (this machine's speed drifts
 * more than the differences sought). Reported: requests per second and the application's CPU time per
 * request, each as the median of the rounds' ratios.
 */
final class JpaBench {
    private static final Path JAR = Path.of("examples", "spring-boot-jpa-app", "target", "spring-boot-jpa-app.jar");
    private static final int ORDERS = 200;
    private static final int MIN_ROUNDS = 2;

    private final LocalCluster cluster;
    private final Results results;
    private final int rounds;
    private final double warmupSeconds;
    private final double measureSeconds;

    JpaBench(LocalCluster cluster, Results results, int rounds, double warmupSeconds, double measureSeconds) {
        this.cluster = cluster;
        this.results = results;
        this.rounds = Math.max(MIN_ROUNDS, rounds);
        this.warmupSeconds = Math.max(10, warmupSeconds);
        this.measureSeconds = Math.max(15, measureSeconds);
    }

    void run() throws Exception {
        try (ExampleApp app = new ExampleApp(JAR, cluster, ExampleApp.Setup.STARTER_PRIMARY_ONLY, 4)) {
            for (int i = 0; i < ORDERS; i++) {
                if (app.post("/orders", "{\"item\":\"bench " + i + "\"}") != 201) {
                    throw new IllegalStateException("POST /orders failed");
                }
            }
        }
        for (int threads : new int[] {8, 32}) {
            compare(ExampleApp.Setup.STARTER, "starter, reads on 2 replicas", threads, "reads scale with replicas");
            compare(ExampleApp.Setup.STARTER_PRIMARY_ONLY, "starter, primary only", threads, ">= 0.97 (parity on one node)");
        }
    }

    private void compare(ExampleApp.Setup setup, String contender, int threads, String target) throws Exception {
        Figures rate = new Figures();
        Figures plainRate = new Figures();
        Figures rateRatios = new Figures();
        Figures cpu = new Figures();
        Figures plainCpu = new Figures();
        Figures cpuRatios = new Figures();
        for (int round = 0; round < rounds; round++) {
            boolean contenderSecond = round % 2 == 1;
            ExampleApp first = new ExampleApp(JAR, cluster, contenderSecond ? ExampleApp.Setup.PLAIN : setup, threads);
            try (first; ExampleApp second = new ExampleApp(JAR, cluster, contenderSecond ? setup : ExampleApp.Setup.PLAIN, threads)) {
                ExampleApp app = contenderSecond ? second : first;
                ExampleApp plain = contenderSecond ? first : second;
                double[][] m = load(threads, app, plain);
                rate.add(m[0][0]);
                plainRate.add(m[1][0]);
                rateRatios.add(m[0][0] / m[1][0]);
                cpu.add(m[0][1]);
                plainCpu.add(m[1][1]);
                cpuRatios.add(m[0][1] / m[1][1]);
                BenchMain.log(String.format(Locale.ROOT, "W7 %d threads round %d: %s %.0f req/s %.3f ms CPU/req, plain %.0f req/s %.3f ms CPU/req",
                        threads, round + 1, contender, m[0][0], m[0][1], m[1][0], m[1][1]));
            }
        }
        String name = "W7 Spring Data JPA, findById + 1 save in 10, " + threads + " threads each, both at once";
        results.compare(name, contender, "plain Spring Boot, HikariCP on the primary", "requests/s", rate, plainRate, rateRatios, target);
        results.compare(name, contender + ": CPU per request", "plain Spring Boot, HikariCP on the primary", "ms CPU/request", cpu, plainCpu,
                cpuRatios, "<= 1.05");
    }

    /** Loads both at once; for each, requests per second and milliseconds of its own CPU per request, after the warm-up. */
    private double[][] load(int threads, ExampleApp... apps) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean counting = new AtomicBoolean(false);
        LongAdder[] done = {new LongAdder(), new LongAdder()};
        LongAdder failed = new LongAdder();
        List<Thread> workers = new ArrayList<>();
        for (int a = 0; a < apps.length; a++) {
            ExampleApp app = apps[a];
            LongAdder counter = done[a];
            for (int i = 0; i < threads; i++) {
                Thread t = new Thread(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    while (running.get()) {
                        try {
                            boolean ok = random.nextInt(10) == 0 ? app.post("/orders", "{\"item\":\"w7\"}") == 201
                                    : app.get("/orders/" + (1 + random.nextInt(ORDERS))) == 200;
                            if (counting.get()) {
                                (ok ? counter : failed).increment();
                            }
                        } catch (IOException | InterruptedException e) {
                            failed.increment();
                        }
                    }
                });
                workers.add(t);
                t.start();
            }
        }
        Thread.sleep((long) (warmupSeconds * 1000));
        long[] cpuBefore = {apps[0].cpu().toNanos(), apps[1].cpu().toNanos()};
        counting.set(true);
        long start = System.nanoTime();
        Thread.sleep((long) (measureSeconds * 1000));
        counting.set(false);
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] cpuAfter = {apps[0].cpu().toNanos(), apps[1].cpu().toNanos()};
        running.set(false);
        for (Thread t : workers) {
            t.join(10_000);
        }
        if (failed.sum() > 0) {
            throw new IllegalStateException(failed.sum() + " requests failed");
        }
        double[][] figures = new double[2][];
        for (int a = 0; a < 2; a++) {
            double requests = done[a].sum();
            figures[a] = new double[] {requests / seconds, (cpuAfter[a] - cpuBefore[a]) / 1e6 / requests};
        }
        return figures;
    }
}
