package io.fortress.springtests.jpa;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.springtests.SpringApps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * JPA read-only transactions under concurrent load while a replica is frozen (SIGSTOP: TCP accepted,
 * nothing answers) and while one is killed: what callers see. A transaction already on the sick node
 * cannot be retried elsewhere (its snapshot is that node's), so it fails once the node is found hung
 * or gone; new transactions go to the other nodes. Bounds are generous; the figures are printed.
 */
class JpaFaultTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(2);
    private static final int THREADS = 6;

    /** One call: when it started and ended (System.nanoTime), and whether it failed. */
    private record Call(long start, long end, boolean failed) {
    }

    @Test
    void aFrozenAndAKilledReplicaCostABoundedNumberOfTransactionsAndNoLongStall() throws Exception {
        LocalCluster c = CLUSTER.cluster();
        try (ConfigurableApplicationContext app = SpringApps.start(JpaApplication.class, c, "spring.main.web-application-type=none",
                "fortress.migrations.services=jpa_app", "fortress.migrations.location=classpath:appmigrations")) {
            Bank bank = app.getBean(Bank.class);
            AtomicBoolean running = new AtomicBoolean(true);
            List<List<Call>> perThread = new ArrayList<>();
            ExecutorService threads = Executors.newFixedThreadPool(THREADS);
            for (int i = 0; i < THREADS; i++) {
                List<Call> calls = new ArrayList<>();
                perThread.add(calls);
                threads.submit(() -> {
                    while (running.get()) {
                        long start = System.nanoTime();
                        boolean failed = false;
                        try {
                            bank.readOnlyPort();
                        } catch (RuntimeException e) {
                            failed = true;
                        }
                        synchronized (calls) {
                            calls.add(new Call(start, System.nanoTime(), failed));
                        }
                    }
                });
            }
            long frozenAt;
            long thawedAt;
            long killedAt;
            long restartedAt;
            try {
                Thread.sleep(1000);
                frozenAt = System.nanoTime();
                c.replica(1).freeze();
                Thread.sleep(5000);
                thawedAt = System.nanoTime();
                c.replica(1).thaw();
                Thread.sleep(3000);
                killedAt = System.nanoTime();
                c.replica(2).kill();
                Thread.sleep(5000);
                restartedAt = System.nanoTime();
                c.replica(2).start();
                Thread.sleep(2000);
            } finally {
                c.replica(1).thaw();
                running.set(false);
                threads.shutdown();
                assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).as("every caller returned").isTrue();
            }
            List<Call> all = new ArrayList<>();
            perThread.forEach(all::addAll);
            report("frozen replica", during(all, frozenAt, thawedAt), thawedAt);
            report("killed replica", during(all, killedAt, restartedAt), restartedAt);
        }
    }

    private static List<Call> during(List<Call> calls, long from, long to) {
        return calls.stream().filter(call -> call.end() >= from && call.start() <= to).toList();
    }

    private static void report(String fault, List<Call> calls, long faultEnded) {
        long failed = calls.stream().filter(Call::failed).count();
        Duration longest = Duration.ofNanos(calls.stream().mapToLong(call -> call.end() - call.start()).max().orElse(0));
        long succeededDuringFault = calls.stream().filter(call -> !call.failed() && call.end() < faultEnded).count();
        System.out.printf("%s: %d transactions, %d failed, longest %d ms%n", fault, calls.size(), failed, longest.toMillis());
        assertThat(succeededDuringFault).as(fault + ": transactions kept succeeding on the other nodes").isGreaterThan(20);
        assertThat(failed).as(fault + ": only transactions already on the sick node fail").isLessThanOrEqualTo(2L * THREADS);
        // health checks every 1 s: a hang is found within a few intervals, not at a socket timeout
        assertThat(longest).as(fault + ": no caller stalls for long").isLessThan(Duration.ofSeconds(15));
    }
}
