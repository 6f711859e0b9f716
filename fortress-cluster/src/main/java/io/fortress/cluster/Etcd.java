package io.fortress.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The single etcd member a {@link PatroniCluster} keeps its DCS in, on two loopback ports, its data in {@code etcd/}. */
final class Etcd {
    final int port;
    final int peerPort;
    final ServerProcess process;
    private final Path directory;

    Etcd(Path root, int port, int peerPort) {
        this.port = port;
        this.peerPort = peerPort;
        this.directory = root.resolve("etcd");
        // it counts while its command line names this cluster's data directory
        this.process = ServerProcess.commandLine("etcd", root.resolve("etcd.pid"), root.resolve("etcd.log"), directory.toString());
    }

    /** The client URL, e.g. {@code http://127.0.0.1:2379}. */
    String url() {
        return "http://" + Node.HOST + ":" + port;
    }

    /** Starts etcd as the server user and waits until it reports itself healthy. */
    void start(ServerUser user, boolean ownSession, Path home, PatroniRest rest) {
        String client = url();
        String peer = "http://" + Node.HOST + ":" + peerPort;
        process.launch(user.exec(List.of("etcd", "--name", "etcd-1", "--data-dir", directory.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "etcd-1=" + peer, "--initial-cluster-state", "new")), ownSession, home);
        Poll.require("etcd to answer on " + client, Duration.ofSeconds(30),
                () -> rest.get(client + "/health").map(b -> b.contains("true")).orElse(false));
    }
}
