package io.fortress.cli;

import io.fortress.db.api.DaemonThreads;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The bounds that keep serve's HTTP listener answering its probes while slow or hostile clients hold connections
 * (docs/architecture.md, "The HTTP listener"). The JDK's server reads a request on a handler thread, blocking, from the
 * first byte (the TLS handshake included) to the end of the headers; so every connection gets a thread of its own, up to
 * {@code maxConnections}, and the server closes a connection whose request is not read within {@code requestTimeout} or
 * whose response is not written within {@code responseTimeout}. Beyond {@code maxConnections} the server closes new
 * connections at once. Headers are capped at {@link #MAX_HEADER_BYTES} in {@link #MAX_HEADERS} lines (the server
 * closes the connection); no endpoint reads a body (HttpApi answers 413 to a request that has one, and the server drains at
 * most 64 KiB of it before it closes the connection).
 *
 * @param requestTimeout  FORTRESS_HTTP_REQUEST_TIMEOUT, whole seconds
 * @param responseTimeout FORTRESS_HTTP_RESPONSE_TIMEOUT, whole seconds
 * @param maxConnections  FORTRESS_HTTP_MAX_CONNECTIONS
 */
record HttpLimits(Duration requestTimeout, Duration responseTimeout, int maxConnections) {
    /** Request line and headers together; a browser sends about 1 KiB, Jetty's default limit is 8 KiB. */
    static final int MAX_HEADER_BYTES = 16 * 1024;
    static final int MAX_HEADERS = 64;
    /** How long a connection kept alive between requests may stay idle; it holds no thread meanwhile. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** A handler thread only parses a request and writes a cached answer: a small stack is plenty, and 1000 of them stay cheap. */
    private static final long THREAD_STACK_BYTES = 512 * 1024;

    static HttpLimits from(Map<String, String> environment) {
        return new HttpLimits(CliSettings.get(CliSettings.HTTP_REQUEST_TIMEOUT, environment),
                CliSettings.get(CliSettings.HTTP_RESPONSE_TIMEOUT, environment),
                CliSettings.get(CliSettings.HTTP_MAX_CONNECTIONS, environment));
    }

    /**
     * Sets the JDK server's limits. They are system properties that the server reads once, when the process creates its
     * first server: call this before {@code HttpServer.create}. serve creates one server per process.
     */
    void applyToJdkServer() {
        System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(requestTimeout.toSeconds()));
        System.setProperty("sun.net.httpserver.maxRspTime", Long.toString(responseTimeout.toSeconds()));
        System.setProperty("sun.net.httpserver.timerMillis", "250"); // how often those two are enforced
        System.setProperty("jdk.httpserver.maxConnections", Integer.toString(maxConnections));
        System.setProperty("sun.net.httpserver.maxIdleConnections", Integer.toString(maxConnections));
        System.setProperty("sun.net.httpserver.idleInterval", Long.toString(IDLE_TIMEOUT.toSeconds()));
        // a connection that never sends a byte is closed after min(idleInterval, maxReqTime), checked every clockTick
        System.setProperty("sun.net.httpserver.clockTick", "1000");
        System.setProperty("sun.net.httpserver.maxReqHeaderSize", Integer.toString(MAX_HEADER_BYTES));
        System.setProperty("sun.net.httpserver.maxReqHeaders", Integer.toString(MAX_HEADERS));
    }

    /**
     * The handler threads: an idle one when there is one, else a new one, for every connection being read or answered,
     * so a slow client never makes a probe wait for a thread. The server never has more than {@code maxConnections} open;
     * the margin covers threads still finishing a connection the server just closed. Past it a connection is refused
     * (the server closes it). Idle threads end after 30 s.
     */
    ExecutorService executor() {
        return new ThreadPoolExecutor(4, maxConnections + 16, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                DaemonThreads.numbered("fortress-http", THREAD_STACK_BYTES));
    }
}
