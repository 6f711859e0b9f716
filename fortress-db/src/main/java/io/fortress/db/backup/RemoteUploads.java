package io.fortress.db.backup;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What a manager's uploads to the remote repository did so far, for the meters. */
final class RemoteUploads {
    private final LongAdder bytes = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong lastDurationNanos = new AtomicLong();

    void uploaded(long storedBytes) {
        bytes.add(storedBytes);
    }

    void finished(Duration took) {
        lastDurationNanos.set(took.toNanos());
    }

    /** A run that stopped before every pending backup was copied. */
    void failed() {
        failures.increment();
    }

    long bytes() {
        return bytes.sum();
    }

    long failures() {
        return failures.sum();
    }

    double lastDurationSeconds() {
        return lastDurationNanos.get() / 1e9;
    }
}
