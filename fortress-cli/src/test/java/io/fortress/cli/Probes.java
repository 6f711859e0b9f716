package io.fortress.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * An orchestrator's probe, asked every 100 ms for a while: how many answered 200, how long the slowest took, and what
 * the others got. Never asserts on speed itself; the caller bounds the worst latency generously.
 */
record Probes(int answered, Duration worst, List<String> failures) {

    /** Runs {@code probe} (which returns the HTTP status) one after the other for {@code period}. */
    static Probes during(Duration period, Callable<Integer> probe) throws InterruptedException {
        long end = System.nanoTime() + period.toNanos();
        int answered = 0;
        long worst = 0;
        List<String> failures = new ArrayList<>();
        while (System.nanoTime() < end) {
            long start = System.nanoTime();
            try {
                int status = probe.call();
                if (status == 200) {
                    answered++;
                } else {
                    failures.add("status " + status);
                }
            } catch (Exception e) {
                failures.add(e.toString());
            }
            worst = Math.max(worst, System.nanoTime() - start);
            Thread.sleep(100);
        }
        return new Probes(answered, Duration.ofNanos(worst), List.copyOf(failures));
    }

    @Override
    public String toString() {
        return answered + " answered 200, the slowest in " + worst.toMillis() + " ms, " + failures.size() + " failed " + failures;
    }
}
