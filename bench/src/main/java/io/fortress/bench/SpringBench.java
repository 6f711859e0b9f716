package io.fortress.bench;

import io.fortress.cluster.LocalCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * W6, the Spring Boot starter under load: the example application's read endpoint
 * ({@code GET /orders/{id}}, a read-only transaction), with the starter (the read goes to a replica)
 * against the same jar with fortress's auto-configuration excluded and Spring Boot's own HikariCP
 * DataSource on the primary. This machine's speed drifts by a factor of two within minutes, more than
 * any difference sought, whether runs alternate every 15 s or every 2 s. So both applications run
 * at once, each driven by its own 8 HTTP client threads: at every instant they see the same machine,
 * and the one that needs more CPU per request serves fewer. Each round starts both afresh, in swapped
 * order every other round (the first started had an edge of a few per cent), warms them together for
 * {@link #WARMUP} and measures {@link #MEASURE}. The ratio is the median of the rounds' ratios. A
 * control row runs the plain application against itself the same way: its distance from 1 is the
 * method's own resolution. Target: ≥ 0.97 of the plain application's requests per second.
 */
final class SpringBench {
    private static final String NAME = "W6 Spring Boot read endpoint, 8 threads each, both at once";
    private static final Path JAR = Path.of("examples", "spring-boot-app", "target", "spring-boot-app.jar");
    private static final int THREADS = 8;
    private static final double WARMUP = 15;
    private static final double MEASURE = 15;
    private static final int MIN_ROUNDS = 4;
    private static final int CONTROL_ROUNDS = 2;

    private final LocalCluster cluster;
    private final Results results;
    private final int rounds;
    private final double warmupSeconds;
    private final double measureSeconds;

    SpringBench(LocalCluster cluster, Results results, int rounds, double warmupSeconds, double measureSeconds) {
        this.cluster = cluster;
        this.results = results;
        this.rounds = Math.max(MIN_ROUNDS, rounds + rounds % 2);
        this.warmupSeconds = Math.max(WARMUP, warmupSeconds);
        this.measureSeconds = Math.max(MEASURE, measureSeconds);
    }

    void run() throws Exception {
        // the starter's run migrates the schema and writes the order both read
        try (ExampleApp app = app(true)) {
            int status = app.post("/orders", "{\"item\":\"bench\"}");
            if (status != 201) {
                throw new IllegalStateException("POST /orders answered " + status);
            }
        }
        compare("starter (read on a replica)", true, rounds, ">= 0.97");
        compare("control: plain against plain", false, CONTROL_ROUNDS, "1 (the method's spread)");
    }

    private void compare(String contender, boolean withStarter, int roundCount, String target) throws Exception {
        Figures value = new Figures();
        Figures baseline = new Figures();
        Figures ratios = new Figures();
        for (int round = 0; round < roundCount; round++) {
            double[] rates = round(withStarter, round % 2 == 1);
            value.add(rates[0]);
            baseline.add(rates[1]);
            ratios.add(rates[0] / rates[1]);
            BenchMain.log(String.format(java.util.Locale.ROOT, "W6 round %d: %s %.0f, plain %.0f requests/s (ratio %.3f)", round + 1,
                    contender, rates[0], rates[1], rates[0] / rates[1]));
        }
        results.compare(NAME, contender, "plain HikariCP on the primary", "requests/s", value, baseline, ratios, target);
    }

    private ExampleApp app(boolean withStarter) throws Exception {
        return new ExampleApp(JAR, cluster, withStarter ? ExampleApp.Setup.STARTER : ExampleApp.Setup.PLAIN, THREADS);
    }

    /** One round: both applications started (the contender second when asked), loaded at once; their requests per second. */
    private double[] round(boolean withStarter, boolean contenderSecond) throws Exception {
        ExampleApp first = app(contenderSecond ? false : withStarter);
        try (first; ExampleApp second = app(contenderSecond ? withStarter : false)) {
            ExampleApp contender = contenderSecond ? second : first;
            ExampleApp plain = contenderSecond ? first : second;
            return load(contender, plain);
        }
    }

    /** Drives both applications' {@code GET /orders/1} from 8 threads each; requests per second after the warm-up. */
    private double[] load(ExampleApp... apps) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean counting = new AtomicBoolean(false);
        LongAdder[] done = {new LongAdder(), new LongAdder()};
        LongAdder failed = new LongAdder();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int a = 0; a < apps.length; a++) {
            ExampleApp app = apps[a];
            LongAdder counter = done[a];
            for (int i = 0; i < THREADS; i++) {
                Thread t = new Thread(() -> {
                    while (running.get()) {
                        try {
                            boolean ok = app.get("/orders/1") == 200;
                            if (counting.get()) {
                                (ok ? counter : failed).increment();
                            }
                        } catch (IOException | InterruptedException e) {
                            failed.increment();
                        }
                    }
                });
                threads.add(t);
                t.start();
            }
        }
        Thread.sleep((long) (warmupSeconds * 1000));
        counting.set(true);
        long start = System.nanoTime();
        Thread.sleep((long) (measureSeconds * 1000));
        counting.set(false);
        double seconds = (System.nanoTime() - start) / 1e9;
        running.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
        if (failed.sum() > 0) {
            throw new IllegalStateException(failed.sum() + " requests failed");
        }
        return new double[] {done[0].sum() / seconds, done[1].sum() / seconds};
    }
}
