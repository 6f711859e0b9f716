package io.fortress.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL primary and N streaming replicas on free loopback ports.
 *
 * <p>Two modes: <em>throw-away</em> (the default) keeps everything in a fresh temporary folder that is
 * deleted on {@link #stop()}; <em>persistent</em> ({@link Builder#dataDirectory(Path)}) keeps the
 * data, ports and generated password in the given folder and reuses them on the next start.
 *
 * <p>Replicas are made from a base backup of the primary (the low-level backup API, so the server
 * binaries alone suffice), stream from it through a replication slot each, and run as hot standbys.
 * {@link #start()} returns once every replica is streaming. Servers listen on 127.0.0.1 only and
 * require a password (SCRAM); the password is generated and kept in a 0600 file.
 *
 * <p>No server outlives this JVM: a shutdown hook stops them on a normal exit, and a small watchdog
 * process ends them (and removes a throw-away folder) if the JVM is killed.
 */
public final class LocalCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);

    private final Path root;
    private final boolean persistent;
    private final int replicaCount;
    private final String superuser;
    private final String database;
    private final boolean tls;
    private final boolean detached;
    private final boolean stopOnExit;
    private final PgBinaries binaries;
    private final ServerUser serverUser;
    private final List<Node> nodes = new ArrayList<>();
    private final ClusterState state;
    private final ServerConfig config;
    private final OwnedServers servers;
    private String password;
    private boolean started;

    private LocalCluster(Builder b) {
        this.persistent = b.dataDirectory != null;
        this.replicaCount = b.replicas;
        this.superuser = b.superuser;
        this.database = b.database;
        this.tls = b.tls;
        this.detached = b.detached;
        this.stopOnExit = b.stopOnExit;
        if (detached && b.dataDirectory == null) {
            throw new IllegalArgumentException("a detached cluster must be persistent: give it a dataDirectory");
        }
        this.binaries = b.binaries != null ? b.binaries : PgBinaries.locate();
        this.serverUser = ServerUser.detect();
        try {
            if (persistent) {
                // created by start(): looking at a cluster that is not there leaves nothing behind
                this.root = b.dataDirectory.toAbsolutePath().normalize();
            } else {
                Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
                this.root = Files.createTempDirectory(tmp, "fortress-cluster-");
            }
        } catch (IOException e) {
            throw new ClusterException("cannot create the cluster folder: " + e.getMessage(), e);
        }
        this.state = new ClusterState(root, superuser, database, replicaCount, tls);
        this.servers = new OwnedServers(!detached, persistent ? null : root);
        this.config = new ServerConfig(superuser, state.pgpassFile(), tls ? tlsFiles() : null, !persistent, b.settings, serverUser);
    }

    /**
     * A port on 127.0.0.1 nothing listens on now, below the kernel's ephemeral range so that no outgoing connection
     * takes it before a server binds it; never the same twice in one JVM.
     */
    public static int freePort() {
        return Loopback.freePort();
    }

    /** A builder for a throw-away cluster with one primary and two replicas. */
    public static Builder builder() {
        return new Builder();
    }

    /** Creates (if needed) and starts every node; returns once every replica streams. Does nothing when started. */
    public synchronized LocalCluster start() {
        if (started) {
            return this;
        }
        long begin = System.nanoTime();
        try {
            state.createFolder();
            serverUser.checkReachable(root.getParent());
            if (!exists()) {
                initialize();
            } else {
                if (nodes.isEmpty()) {
                    load();
                }
                servers.own(nodes.stream().filter(node -> !node.isRunning()).toList());
                servers.owned().forEach(Node::start);
            }
            for (Node replica : replicas()) {
                awaitStreaming(replica, Duration.ofSeconds(60));
            }
        } catch (RuntimeException e) {
            stopQuietly();
            throw e;
        }
        started = true;
        if (!detached && stopOnExit) {
            servers.stopOnExit(this::stopQuietly);
        }
        LOG.info("local cluster up in {} ms: {} ({})", (System.nanoTime() - begin) / 1_000_000, nodes, binaries);
        return this;
    }

    /**
     * Stops the nodes this instance started (replicas first) and, in throw-away mode, deletes the
     * cluster folder. Persistent clusters are shut down cleanly and keep their data; nodes that were
     * already running when this instance started (e.g. a detached cluster) are left running.
     */
    public synchronized void stop() {
        stop(servers.owned());
    }

    /** Stops every node of the cluster, whoever started it (e.g. {@code fortress cluster stop}). */
    public synchronized void stopAll() {
        if (nodes.isEmpty()) {
            inspect();
        }
        stop(nodes);
    }

    /**
     * Reads an existing persistent cluster's state (nodes, ports, password) without starting anything,
     * so that {@link #nodes()} and {@link Node#isRunning()} tell what runs.
     *
     * @throws ClusterException when the data directory holds no cluster
     */
    public synchronized LocalCluster inspect() {
        if (!persistent || !exists()) {
            throw new ClusterException("no local cluster in " + root + "; start one first (fortress cluster start)");
        }
        if (nodes.isEmpty()) {
            load();
        }
        return this;
    }

    /** True when the persistent data directory holds a cluster created earlier. */
    public boolean exists() {
        return state.exists();
    }

    private void stop(List<Node> which) {
        try {
            servers.stop(which, persistent);
        } finally {
            started = false;
            if (!persistent) {
                ClusterFiles.deleteTree(root);
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The node created as the primary (it stays so unless a replica is promoted). */
    public Node primary() {
        return nodes.get(0);
    }

    /** Replica {@code n}, counted from 1. */
    public Node replica(int n) {
        if (n < 1 || n > replicaCount) {
            throw new IllegalArgumentException("replica " + n + " does not exist; this cluster has replicas 1.." + replicaCount);
        }
        return nodes.get(n);
    }

    /** The replicas, in order. */
    public List<Node> replicas() {
        return List.copyOf(nodes.subList(1, nodes.size()));
    }

    /** The primary, then the replicas. */
    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /** The superuser every node accepts ({@code postgres} by default). */
    public String superuser() {
        return superuser;
    }

    /** The superuser's generated password. */
    public String password() {
        return password;
    }

    /** The 0600 file holding the superuser's password. */
    public Path passwordFile() {
        return state.passwordFile();
    }

    /** The 0600 libpq password file ({@code PGPASSFILE}) with the superuser's login for every node. */
    public Path pgpassFile() {
        return state.pgpassFile();
    }

    /** The database created on start ({@code fortress} by default). */
    public String database() {
        return database;
    }

    /** The cluster folder: node data directories, logs, state and password files. */
    public Path rootDirectory() {
        return root;
    }

    public boolean isPersistent() {
        return persistent;
    }

    public boolean isStarted() {
        return started;
    }

    public PgBinaries binaries() {
        return binaries;
    }

    /** The OS user the servers (and their PgBouncers) run as. */
    ServerUser serverUser() {
        return serverUser;
    }

    /** The certificate of the authority that signed the servers' certificates, when TLS is on. */
    public java.util.Optional<Path> tlsRootCertificate() {
        return tls ? java.util.Optional.of(tlsFiles().caCertificate()) : java.util.Optional.empty();
    }

    /**
     * Issues a client certificate for {@code user} into {@code directory}; the user logs in with it when
     * it is a member of {@code fortress_cert_users}. Needs TLS.
     */
    public ClientCertificate issueClientCertificate(String user, Path directory) {
        if (!tls) {
            throw new IllegalStateException("client certificates need a cluster built with tls(true)");
        }
        return tlsFiles().issueClient(user, directory);
    }

    private Tls tlsFiles() {
        return new Tls(root.resolve("tls"));
    }

    /** {@code host:port} of every replica, comma-separated, as DB_REPLICA_HOSTS takes it. */
    public String replicaAddresses() {
        return String.join(",", replicas().stream().map(Node::address).toList());
    }

    /** Waits until the primary reports the replica as streaming. */
    public void awaitStreaming(Node replica, Duration timeout) {
        if (!Poll.await(timeout, 50, () -> primary().streamsTo(replica))) {
            throw new ClusterException("replica " + replica + " is not streaming after " + timeout.toSeconds()
                    + " s; its log ends with:\n" + replica.logTail(20));
        }
    }

    /** Waits until every running replica has replayed everything written on the primary so far. */
    public void awaitReplication(Duration timeout) {
        for (Node replica : replicas()) {
            if (replica.isRunning()) {
                replica.awaitReplayOf(primary(), timeout);
            }
        }
    }

    private void initialize() {
        password = state.create(serverUser);
        nodes.add(newNode("primary", Loopback.freePort()));
        for (int i = 1; i <= replicaCount; i++) {
            nodes.add(newNode("replica-" + i, Loopback.freePort()));
        }
        servers.own(nodes);
        if (tls) {
            tlsFiles().create(serverUser);
        }

        Node primary = primary();
        config.initdb(primary, binaries, passwordFile());
        state.save(nodes);
        primary.start();
        try (Connection c = primary.connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + quoteIdentifier(database));
            if (tls) {
                s.execute("CREATE ROLE " + Tls.CLIENT_CERT_GROUP + " NOLOGIN");
            }
        } catch (SQLException e) {
            throw new ClusterException("cannot create database " + database + ": " + e.getMessage(), e);
        }
        for (Node replica : replicas()) {
            BaseBackup.createReplica(primary, replica, binaries.majorVersion(), serverUser);
            replica.start();
        }
    }

    private Node newNode(String name, int port) {
        return new Node(this, name, root.resolve(name), state.logFolder().resolve(name + ".log"), port);
    }

    /** The servers' configuration files. */
    ServerConfig config() {
        return config;
    }

    private void load() {
        password = state.password();
        state.ports().forEach((name, port) -> nodes.add(newNode(name, port)));
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping the local cluster in {} failed: {}", root, e.getMessage());
        }
    }

    static String quoteIdentifier(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /** Settings of a cluster to create or reuse. */
    public static final class Builder {
        private Path dataDirectory;
        private int replicas = 2;
        private String superuser = "postgres";
        private String database = "fortress";
        private final Map<String, String> settings = new LinkedHashMap<>();
        private boolean tls;
        private boolean detached;
        private boolean stopOnExit = true;
        private PgBinaries binaries;

        private Builder() {
        }

        /**
         * Lets the servers outlive this JVM (no watchdog, no shutdown hook), for a persistent cluster
         * started by one command and used or stopped by later ones.
         */
        public Builder detached(boolean detached) {
            this.detached = detached;
            return this;
        }

        /**
         * Whether a JVM shutdown hook stops the servers (true by default). An owner that shuts down in an
         * order of its own (pools first, then the servers) turns it off and calls {@link #stop()} itself;
         * the watchdog still ends the servers if the JVM is killed.
         */
        public Builder stopOnExit(boolean stopOnExit) {
            this.stopOnExit = stopOnExit;
            return this;
        }

        /** The server binaries to use instead of those {@link PgBinaries#locate()} finds. */
        public Builder binaries(PgBinaries binaries) {
            this.binaries = binaries;
            return this;
        }

        /**
         * Serves TLS with a certificate for 127.0.0.1 and localhost signed by a private authority made
         * with openssl ({@link LocalCluster#tlsRootCertificate()}); plain connections stay allowed, and
         * members of the role {@code fortress_cert_users} log in with a client certificate instead of a password.
         */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /** Number of streaming replicas (0 or more); 2 by default. */
        public Builder replicas(int replicas) {
            if (replicas < 0 || replicas > 8) {
                throw new IllegalArgumentException("replicas must be between 0 and 8, was " + replicas);
            }
            this.replicas = replicas;
            return this;
        }

        /** Keeps the cluster in this folder and reuses it on the next start (persistent mode). */
        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = dataDirectory;
            return this;
        }

        /** Name of the superuser; {@code postgres} by default. */
        public Builder superuser(String superuser) {
            this.superuser = requireName("superuser", superuser);
            return this;
        }

        /** Database created on first start; {@code fortress} by default. */
        public Builder database(String database) {
            this.database = requireName("database", database);
            return this;
        }

        /** An extra postgresql.conf setting for every node (e.g. {@code max_standby_streaming_delay}). */
        public Builder setting(String name, String value) {
            if (name == null || !name.matches("[a-z_][a-z0-9_.]*")) {
                throw new IllegalArgumentException("not a PostgreSQL setting name: " + name);
            }
            settings.put(name, value);
            return this;
        }

        public LocalCluster build() {
            return new LocalCluster(this);
        }

        /** Builds and starts the cluster. */
        public LocalCluster start() {
            return build().start();
        }

        private static String requireName(String what, String value) {
            if (value == null || !value.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException(what + " must be a plain identifier (letters, digits, _), was " + value);
            }
            return value;
        }
    }
}
