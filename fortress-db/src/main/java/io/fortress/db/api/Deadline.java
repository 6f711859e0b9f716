package io.fortress.db.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A moment by which the calls of a piece of work must have answered, as Go's {@code context.WithTimeout} or a gRPC
 * deadline. Every fortress call made inside {@link #call} on the same thread uses what is left of it: waiting for a
 * connection, the statement itself (the server cancels it when the time is up), hedges, retries on another node and
 * the waits of read-your-writes. A call never waits past the deadline plus {@link #MARGIN}, whatever the cluster
 * does (a frozen node answers nothing: the connection's socket gives up then), and fails with
 * {@link DeadlineExceededException}.
 *
 * <pre>{@code
 * Optional<String> name = Deadline.after(Duration.ofMillis(300)).call(
 *         () -> db.queryOne("SELECT name FROM users WHERE id = ?", RowMapper.firstString(), id));
 * }</pre>
 *
 * <p>Deadlines nest: inside a call, a later deadline does not extend an earlier one. A transaction inside a call is
 * rolled back when the time is up before its commit. The deadline belongs to the thread that called {@link #call}.
 */
public final class Deadline {
    /**
     * How long past the deadline a call may still take to fail: the server gets this long to answer the cancel of a
     * statement that ran out of time, before the connection's socket gives up on it.
     */
    public static final Duration MARGIN = Duration.ofMillis(250);
    private static final ThreadLocal<Deadline> CURRENT = new ThreadLocal<>();

    private final long atNanos;
    private final Duration timeout;

    private Deadline(long atNanos, Duration timeout) {
        this.atNanos = atNanos;
        this.timeout = timeout;
    }

    /**
     * The deadline {@code timeout} from now.
     *
     * @throws IllegalArgumentException when the timeout is negative
     */
    public static Deadline after(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("a deadline's timeout must be zero or positive, was " + Durations.format(timeout));
        }
        return new Deadline(System.nanoTime() + timeout.toNanos(), timeout);
    }

    /** The deadline of the work running on this thread, when it has one. */
    public static Optional<Deadline> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** What is left of it; zero once it passed. */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, atNanos - System.nanoTime()));
    }

    /** True once it passed. */
    public boolean passed() {
        return atNanos - System.nanoTime() <= 0;
    }

    /** The timeout it was made with, for messages. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Runs the work with this deadline (or the earlier one already running on this thread) and returns its result.
     *
     * @throws DeadlineExceededException from a fortress call inside the work that ran out of time
     */
    public <T> T call(Supplier<T> work) {
        try (Scope scope = enter()) {
            return work.get();
        }
    }

    /**
     * Makes this deadline (or the earlier one already running) the thread's until the returned scope is closed, for a
     * framework whose work begins and ends in separate calls (a transaction manager); elsewhere {@link #call} is simpler.
     * Scopes are closed in the reverse order of entering, on the same thread.
     */
    public Scope enter() {
        Deadline outer = CURRENT.get();
        CURRENT.set(outer != null && outer.atNanos - atNanos < 0 ? outer : this);
        return () -> {
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        };
    }

    /** The stretch during which a deadline is the thread's ({@link #enter()}); closing it puts back the one before. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** {@link #call} for work without a result. */
    public void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    @Override
    public String toString() {
        return "Deadline[" + Durations.format(timeout) + ", " + Durations.format(remaining()) + " left]";
    }
}
