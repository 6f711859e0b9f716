package io.fortress.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one operation from N threads for a warm-up and then a measured period, recording the
 * latency of every measured operation.
 */
final class LoadRunner {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private LoadRunner() {
    }

    /** One operation of a workload; {@code random} is the calling thread's own generator. */
    @FunctionalInterface
    interface Operation {
        void run(java.util.SplittableRandom random) throws Exception;
    }

    /**
     * The figures of one measured run.
     *
     * @param clientCpuNanos CPU time the client's worker threads used in the measured period; -1 when not
     *                       measured (pgbench). Unlike throughput it leaves out the servers and the rest of the
     *                       machine, so it shows what a layer costs its caller even when their noise hides it
     */
    record Run(long operations, double seconds, long[] sortedLatencyNanos, long clientCpuNanos) {
        double throughput() {
            return operations / seconds;
        }

        /** Client CPU per operation in microseconds, or NaN when not measured. */
        double clientCpuMicrosPerOp() {
            return clientCpuNanos < 0 || operations == 0 ? Double.NaN : clientCpuNanos / 1e3 / operations;
        }

        double percentileMillis(double p) {
            if (sortedLatencyNanos.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(sortedLatencyNanos.length - 1, Math.ceil(p / 100.0 * sortedLatencyNanos.length) - 1);
            return sortedLatencyNanos[Math.max(0, i)] / 1e6;
        }
    }

    /**
     * Runs {@code op} from {@code threads} threads for the warm-up, then for the measured period.
     *
     * @throws IllegalStateException when any operation failed (a run with errors gives no figures), or when
     *                               the workers do not finish within two minutes of the end
     */
    static Run run(int threads, double warmupSeconds, double measureSeconds, Operation op) throws InterruptedException {
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmupSeconds * 1e9);
        long end = measureFrom + (long) (measureSeconds * 1e9);
        long[][] perThread = new long[threads][];
        long[] cpuNanos = new long[threads];
        long[] errors = new long[threads];
        Exception[] firstErrors = new Exception[threads];
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread worker = new Thread(() -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(index * 7919L + 17);
                long[] latencies = new long[1 << 16];
                int n = 0;
                long cpuFrom = -1;
                try {
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= end) {
                            break;
                        }
                        if (cpuFrom < 0 && t0 >= measureFrom) {
                            cpuFrom = CPU.getCurrentThreadCpuTime();
                        }
                        try {
                            op.run(random);
                        } catch (Exception e) {
                            if (errors[index]++ == 0) {
                                firstErrors[index] = e;
                            }
                            continue;
                        }
                        long t1 = System.nanoTime();
                        if (t0 >= measureFrom) {
                            if (n == latencies.length) {
                                latencies = Arrays.copyOf(latencies, n * 2);
                            }
                            latencies[n++] = t1 - t0;
                        }
                    }
                } finally {
                    cpuNanos[index] = cpuFrom < 0 ? 0 : CPU.getCurrentThreadCpuTime() - cpuFrom;
                    perThread[index] = Arrays.copyOf(latencies, n); // published to the caller by the latch
                    done.countDown();
                }
            }, "bench-" + t);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
        long graceSeconds = 120;
        if (!done.await((long) Math.ceil(warmupSeconds + measureSeconds) + graceSeconds, TimeUnit.SECONDS)) {
            workers.forEach(Thread::interrupt);
            throw new IllegalStateException(done.getCount() + " of " + threads + " workers were still inside an operation "
                    + graceSeconds + " s after the run's end; an operation is stuck, so the run gives no figures");
        }
        long failed = Arrays.stream(errors).sum();
        if (failed > 0) {
            Exception first = Arrays.stream(firstErrors).filter(java.util.Objects::nonNull).findFirst().orElseThrow();
            throw new IllegalStateException(failed + " operations failed during the run (warm-up included), so it gives no figures;"
                    + " the first: " + first, first);
        }
        long[] all = Arrays.stream(perThread).flatMapToLong(Arrays::stream).sorted().toArray();
        return new Run(all.length, measureSeconds, all, Arrays.stream(cpuNanos).sum());
    }
}
