package io.fortress.cluster;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition on processes that are not this JVM's to wait for: polling, at short intervals. */
final class Poll {
    private Poll() {
    }

    /** Polls every {@code intervalMillis} until the condition holds (true) or {@code timeout} has passed (false). */
    static boolean await(Duration timeout, long intervalMillis, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(intervalMillis);
        }
        return true;
    }

    /** As {@link #await}, every 100 ms, failing with a message naming {@code what} on timeout. */
    static void require(String what, Duration timeout, BooleanSupplier condition) {
        if (!await(timeout, 100, condition)) {
            throw new ClusterException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted", e);
        }
    }
}
