package io.fortress.bench;

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
    private LoadRunner() {
    }

    /** One operation of a workload; {@code random} is the calling thread's own generator. */
    @FunctionalInterface
    interface Operation {
        void run(java.util.SplittableRandom random) throws Exception;
    }

    /** The figures of one measured run. */
    record Run(long operations, double seconds, long[] sortedLatencyNanos, long errors) {
        double throughput() {
            return operations / seconds;
        }

        double percentileMillis(double p) {
            if (sortedLatencyNanos.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(sortedLatencyNanos.length - 1, Math.ceil(p / 100.0 * sortedLatencyNanos.length) - 1);
            return sortedLatencyNanos[Math.max(0, i)] / 1e6;
        }
    }

    static Run run(int threads, double warmupSeconds, double measureSeconds, Operation op) throws InterruptedException {
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmupSeconds * 1e9);
        long end = measureFrom + (long) (measureSeconds * 1e9);
        List<long[]> perThread = new ArrayList<>();
        long[] counts = new long[threads];
        long[] errors = new long[threads];
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long[][] holder = new long[1][];
            perThread.add(null);
            int index = t;
            Thread worker = new Thread(() -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(index * 7919L + 17);
                long[] latencies = new long[1 << 16];
                int n = 0;
                try {
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= end) {
                            break;
                        }
                        try {
                            op.run(random);
                        } catch (Exception e) {
                            errors[index]++;
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
                    holder[0] = Arrays.copyOf(latencies, n);
                    counts[index] = n;
                    synchronized (perThread) {
                        perThread.set(index, holder[0]);
                    }
                    done.countDown();
                }
            }, "bench-" + t);
            workers.add(worker);
            worker.start();
        }
        done.await((long) (warmupSeconds + measureSeconds + 120), TimeUnit.SECONDS);
        long total = Arrays.stream(counts).sum();
        long[] all = new long[(int) total];
        int pos = 0;
        synchronized (perThread) {
            for (long[] l : perThread) {
                System.arraycopy(l, 0, all, pos, l.length);
                pos += l.length;
            }
        }
        Arrays.sort(all);
        return new Run(total, measureSeconds, all, Arrays.stream(errors).sum());
    }
}
