package io.fortress.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An attacker that keeps {@code count} connections to a port busy by sending a request that never ends, one byte at a time
 * (slowloris), or any other opening that stalls (a TLS ClientHello cut short). One thread drips a byte into each connection
 * every {@code dripMillis}; a connection the server closed is counted, with how long it lived, and opened again, so that
 * {@code count} stay open the whole time. Every socket is closed by {@link #close()}.
 */
final class SlowClients implements AutoCloseable {
    private final int port;
    private final byte[] opening;
    private final byte drip;
    private final List<Held> held = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger cutByServer = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicLong longestLifeMillis = new AtomicLong();
    private final Thread dripper;

    private record Held(Socket socket, long openedNanos) {
    }

    /**
     * @param opening the bytes sent at once when a connection opens
     * @param drip    the byte then sent every {@code dripMillis}
     */
    SlowClients(int port, int count, byte[] opening, byte drip, long dripMillis) throws IOException {
        this.port = port;
        this.opening = opening.clone();
        this.drip = drip;
        for (int i = 0; i < count; i++) {
            held.add(open());
        }
        dripper = new Thread(() -> {
            while (running.get()) {
                for (int i = 0; i < held.size() && running.get(); i++) {
                    if (!alive(held.get(i))) {
                        try {
                            held.set(i, open());
                        } catch (IOException refused) {
                            // the listener is full or gone; try again next round
                        }
                    }
                }
                try {
                    Thread.sleep(dripMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "slow-clients");
        dripper.setDaemon(true);
        dripper.start();
    }

    private Held open() throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(1); // reads only look whether the server closed or answered
            s.getOutputStream().write(opening);
            s.getOutputStream().flush();
            return new Held(s, System.nanoTime());
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Sends the next byte; false (and counts it) when the server closed the connection or answered it. */
    private boolean alive(Held h) {
        Socket s = h.socket();
        if (s.isClosed()) {
            return false;
        }
        try {
            InputStream in = s.getInputStream();
            try {
                if (in.read() >= 0) {
                    answered.incrementAndGet(); // an answer to a request that never ended: the server gave up on it with a reply
                }
                throw new IOException("closed or answered by the server");
            } catch (SocketTimeoutException stillOpen) {
                OutputStream out = s.getOutputStream();
                out.write(drip);
                out.flush();
                return true;
            }
        } catch (IOException cut) {
            cutByServer.incrementAndGet();
            longestLifeMillis.accumulateAndGet((System.nanoTime() - h.openedNanos()) / 1_000_000, Math::max);
            try {
                s.close();
            } catch (IOException ignored) {
                // closed already
            }
            return false;
        }
    }

    /** Connections the server closed (or answered) so far. */
    int cutByServer() {
        return cutByServer.get();
    }

    /** Of those, the ones that got any byte back before being closed. */
    int answered() {
        return answered.get();
    }

    /** The longest a connection the server closed had been open. */
    long longestLifeMillis() {
        return longestLifeMillis.get();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        dripper.interrupt();
        dripper.join(10_000);
        for (Held h : held) {
            try {
                h.socket().close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
