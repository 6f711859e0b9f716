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
 * took and what it threw, so a test can look at the calls made during a fault. A call still running
 * is recorded too, from its start: a snapshot counts it with its age so far, so that a call stuck
 * through a fault is seen even while it is stuck.
 */
final class Load implements AutoCloseable {
    /**
     * One call: started at {@code startNanos} (System.nanoTime), took {@code nanos} (for a call still
     * running, its age at the snapshot), threw {@code failure} (or null).
     */
    record Call(long startNanos, long nanos, Throwable failure, boolean finished) {
        long endNanos() {
            return startNanos + nanos;
        }
    }

    /** One thread's calls, and the start of the call it runs now (NONE when between calls). */
    private static final class Worker {
        static final long NONE = Long.MIN_VALUE;
        final List<Call> calls = new ArrayList<>();
        long runningSince = NONE; // guarded by this
    }

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService threads;
    private final List<Worker> workers = new ArrayList<>();

    Load(int threadCount, Callable<?> operation) {
        threads = Executors.newFixedThreadPool(threadCount);
        for (int i = 0; i < threadCount; i++) {
            Worker worker = new Worker();
            workers.add(worker);
            threads.submit(() -> {
                while (running.get()) {
                    long start = System.nanoTime();
                    synchronized (worker) {
                        worker.runningSince = start;
                    }
                    Throwable failure = null;
                    try {
                        operation.call();
                    } catch (Throwable t) {
                        failure = t;
                    }
                    Call call = new Call(start, System.nanoTime() - start, failure, true);
                    synchronized (worker) {
                        worker.calls.add(call);
                        worker.runningSince = Worker.NONE;
                    }
                }
            });
        }
    }

    /** Every call so far (a copy), the ones still running included with their age now. */
    List<Call> calls() {
        List<Call> all = new ArrayList<>();
        for (Worker worker : workers) {
            synchronized (worker) {
                all.addAll(worker.calls);
                if (worker.runningSince != Worker.NONE) {
                    all.add(new Call(worker.runningSince, System.nanoTime() - worker.runningSince, null, false));
                }
            }
        }
        return all;
    }

    /** Calls that were running at some point in [fromNanos, toNanos], the ones still running included. */
    List<Call> callsDuring(long fromNanos, long toNanos) {
        return calls().stream().filter(c -> c.endNanos() >= fromNanos && c.startNanos() <= toNanos).toList();
    }

    /** Calls that completed without failure so far. */
    long completed() {
        return completedAfter(Long.MIN_VALUE);
    }

    /** Calls that completed without failure after {@code nanos}. */
    long completedAfter(long nanos) {
        return calls().stream().filter(c -> c.finished() && c.endNanos() > nanos && c.failure() == null).count();
    }

    /** The longest of the calls, a call still running counted with its age so far. */
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
