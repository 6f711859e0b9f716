package io.fortress.db.api;

import io.fortress.db.internal.Threads;
import java.util.concurrent.ThreadFactory;

/**
 * Background threads as the library makes its own, for what is built on it (the CLI's serve): daemons, so that a
 * forgotten executor never keeps the JVM from exiting, and named, so that a thread dump says whose they are.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** A factory of daemon threads all named {@code name}, for a single-thread executor. */
    public static ThreadFactory named(String name) {
        return Threads.daemonNamed(name);
    }

    /**
     * A factory of daemon threads named {@code namePrefix-1}, {@code namePrefix-2}, ... in the order they are made, for an
     * executor of several; {@code stackBytes} is each thread's stack size, 0 for the JVM's default.
     */
    public static ThreadFactory numbered(String namePrefix, long stackBytes) {
        return Threads.daemon(namePrefix, stackBytes);
    }
}
