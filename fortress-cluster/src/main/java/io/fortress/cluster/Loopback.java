package io.fortress.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Ports on 127.0.0.1, the only address anything of a local cluster listens on. */
final class Loopback {
    /** The lowest port handed out: above the well-known and most registered services' ports. */
    private static final int LOWEST = 10_000;
    /** Ports this JVM handed out, so that two calls never give the same port before its server binds it. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private Loopback() {
    }

    /**
     * A port nothing listens on now, chosen below the kernel's ephemeral range. A port from that range may, between
     * this check and the server's bind, become the local end of any outgoing connection on the machine; a Patroni
     * member failed its bootstrap so under a full test run.
     */
    static int freePort() {
        int ephemeralLow = ephemeralRangeStart();
        if (ephemeralLow - LOWEST >= 1_000) {
            for (int attempt = 0; attempt < 1_000; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(LOWEST, ephemeralLow);
                if (!HANDED_OUT.contains(port) && !isTaken(port) && HANDED_OUT.add(port)) {
                    return port;
                }
            }
        }
        return kernelChosenPort(); // no room below the ephemeral range (or all of it taken): the kernel's choice
    }

    private static int kernelChosenPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(Node.HOST))) {
            HANDED_OUT.add(socket.getLocalPort());
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new ClusterException("cannot find a free port on " + Node.HOST + ": " + e.getMessage(), e);
        }
    }

    /** The first port of Linux's ephemeral range, 32768 by default; 0 where it cannot be read. */
    private static int ephemeralRangeStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    @SuppressWarnings("try") // the socket is opened only to see whether the port is free
    static boolean isTaken(int port) {
        try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getByName(Node.HOST))) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** True when something accepts a TCP connection on the port within a second. */
    static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(Node.HOST, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
