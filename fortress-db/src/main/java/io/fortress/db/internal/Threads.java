package io.fortress.db.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's background threads: daemons, so that a caller who forgets to close a Database or a
 * manager never keeps the JVM from exiting, and named, so that a thread dump says whose they are.
 * {@link io.fortress.db.api.DaemonThreads} offers the same to what is built on the library.
 */
public final class Threads {
    private Threads() {
    }

    /**
     * A factory of daemon threads named {@code namePrefix-1}, {@code namePrefix-2}, ... in the order they
     * are made, for an executor.
     */
    public static ThreadFactory daemon(String namePrefix) {
        return daemon(namePrefix, 0);
    }

    /** Like {@link #daemon(String)}, each thread with a stack of {@code stackBytes} (0: the JVM's default). */
    public static ThreadFactory daemon(String namePrefix, long stackBytes) {
        AtomicInteger made = new AtomicInteger();
        return work -> daemon(namePrefix + "-" + made.incrementAndGet(), work, stackBytes);
    }

    /** A factory of daemon threads all named {@code name}, for a single-thread executor. */
    public static ThreadFactory daemonNamed(String name) {
        return work -> daemon(name, work);
    }

    /** One daemon thread with this exact name, not yet started. */
    public static Thread daemon(String name, Runnable work) {
        return daemon(name, work, 0);
    }

    private static Thread daemon(String name, Runnable work, long stackBytes) {
        Thread thread = new Thread(null, work, name, stackBytes);
        thread.setDaemon(true);
        return thread;
    }
}
