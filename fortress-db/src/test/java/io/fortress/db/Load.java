package io.fortress.db;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Threads calling one operation in a loop until stopped, recording when each call started, how long it
 * took and what it threw, so a test can look at the calls made during a fault.
 */
final class Load implements AutoCloseable {
    /** One call: started at {@code startNanos} (System.nanoTime), took {@code nanos}, threw {@code failure} (or null). */
    record Call(long startNanos, long nanos, Throwable failure) {
        long endNanos() {
            return startNanos + nanos;
        }
    }

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService threads;
    private final List<List<Call>> perThread = new ArrayList<>();

    Load(int threadCount, Callable<?> operation) {
        threads = Executors.newFixedThreadPool(threadCount);
        for (int i = 0; i < threadCount; i++) {
            List<Call> calls = new ArrayList<>();
            perThread.add(calls);
            threads.submit(() -> {
                while (running.get()) {
                    long start = System.nanoTime();
                    Throwable failure = null;
                    try {
                        operation.call();
                    } catch (Throwable t) {
                        failure = t;
                    }
                    Call call = new Call(start, System.nanoTime() - start, failure);
                    synchronized (calls) {
                        calls.add(call);
                    }
                }
            });
        }
    }

    /** Every call so far (a copy). */
    List<Call> calls() {
        List<Call> all = new ArrayList<>();
        for (List<Call> calls : perThread) {
            synchronized (calls) {
                all.addAll(calls);
            }
        }
        return all;
    }

    /** Calls that were running at some point in [fromNanos, toNanos]. */
    List<Call> callsDuring(long fromNanos, long toNanos) {
        return calls().stream().filter(c -> c.endNanos() >= fromNanos && c.startNanos() <= toNanos).toList();
    }

    /** Calls that completed after {@code nanos}. */
    long completedAfter(long nanos) {
        return calls().stream().filter(c -> c.endNanos() > nanos && c.failure() == null).count();
    }

    static Duration longest(List<Call> calls) {
        return Duration.ofNanos(calls.stream().mapToLong(Call::nanos).max().orElse(0));
    }

    static List<Throwable> failures(List<Call> calls) {
        return calls.stream().map(Call::failure).filter(f -> f != null).toList();
    }

    /** Stops the threads and waits for the calls in progress. */
    @Override
    public void close() {
        running.set(false);
        threads.shutdown();
        try {
            if (threads.awaitTermination(60, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.shutdownNow();
        throw new AssertionError("load threads did not stop within 60 s");
    }
}
