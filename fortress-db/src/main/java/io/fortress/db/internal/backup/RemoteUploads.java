package io.fortress.db.internal.backup;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What a manager's uploads to the remote repository did so far, for the meters. */
public final class RemoteUploads {
    private final LongAdder bytes = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong lastDurationNanos = new AtomicLong();

    public void uploaded(long storedBytes) {
        bytes.add(storedBytes);
    }

    public void finished(Duration took) {
        lastDurationNanos.set(took.toNanos());
    }

    /** A run that stopped before every pending backup was copied. */
    public void failed() {
        failures.increment();
    }

    public long bytes() {
        return bytes.sum();
    }

    public long failures() {
        return failures.sum();
    }

    public double lastDurationSeconds() {
        return lastDurationNanos.get() / 1e9;
    }
}
