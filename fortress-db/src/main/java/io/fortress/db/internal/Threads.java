package io.fortress.db.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's background threads: daemons, so that a caller who forgets to close a Database or a
 * manager never keeps the JVM from exiting, and named, so that a thread dump says whose they are.
 */
public final class Threads {
    private Threads() {
    }

    /**
     * A factory of daemon threads named {@code namePrefix-1}, {@code namePrefix-2}, ... in the order they
     * are made, for an executor.
     */
    public static ThreadFactory daemon(String namePrefix) {
        AtomicInteger made = new AtomicInteger();
        return work -> daemon(namePrefix + "-" + made.incrementAndGet(), work);
    }

    /** One daemon thread with this exact name, not yet started. */
    public static Thread daemon(String name, Runnable work) {
        Thread thread = new Thread(work, name);
        thread.setDaemon(true);
        return thread;
    }
}
