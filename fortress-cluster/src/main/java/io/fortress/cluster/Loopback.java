package io.fortress.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Ports on 127.0.0.1, the only address anything of a local cluster listens on. */
final class Loopback {
    private Loopback() {
    }

    /** A port nothing listens on now. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(Node.HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new ClusterException("cannot find a free port on " + Node.HOST + ": " + e.getMessage(), e);
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
