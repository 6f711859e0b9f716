package io.fortress.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real PgBouncer processes (Debian's {@code pgbouncer} package) in front of a {@link LocalCluster}:
 * one per node, each on a loopback port of its own, pooling in transaction mode, so that the primary
 * and every replica are reached through a pooler as in a deployment that outgrew PostgreSQL's
 * connection limit.
 *
 * <p>Each PgBouncer logs clients in with the cluster's superuser and password (SCRAM, from a 0600
 * auth file) and forwards every database name to its node. It ignores the {@code extra_float_digits}
 * startup parameter that pgjdbc sends, as JDBC users' PgBouncers must. PgBouncer refuses to run as
 * root, so as root it runs as the servers' OS user. Files live in the cluster folder's
 * {@code pgbouncer} folder; {@link #inspect} finds the PgBouncers of a persistent cluster again.
 */
public final class PgBouncers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgBouncers.class);
    private static final String FOLDER = "pgbouncer";
    private static final Pattern PORT_LINE = Pattern.compile("(?m)^listen_port = (\\d+)$");

    private final LocalCluster cluster;
    private final Path folder;
    private final List<Front> fronts;
    private final boolean detached;
    private final List<Front> own = new ArrayList<>();
    private Watchdog watchdog;
    private boolean closed;

    /** The PgBouncer in front of one node. */
    public static final class Front {
        private final LocalCluster cluster;
        private final Node node;
        private final int port;
        private final Path config;
        private final ServerProcess process;

        private Front(LocalCluster cluster, Node node, int port, Path folder) {
            this.cluster = cluster;
            this.node = node;
            this.port = port;
            this.config = folder.resolve(node.name() + ".ini");
            this.process = ServerProcess.program("PgBouncer " + node.name(), folder.resolve(node.name() + ".pid"),
                    folder.resolve(node.name() + ".log"), "pgbouncer");
        }

        /** The node this PgBouncer forwards to. */
        public Node node() {
            return node;
        }

        public int port() {
            return port;
        }

        /** {@code 127.0.0.1:port}, as DB_HOST and DB_REPLICA_HOSTS take it. */
        public String address() {
            return Node.HOST + ":" + port;
        }

        public Path logFile() {
            return process.logFile();
        }

        /** A client session through this PgBouncer, as the cluster's superuser, with statements unnamed as PgBouncer 1.18 needs. */
        public java.sql.Connection connect() throws java.sql.SQLException {
            return connect(cluster.superuser(), cluster.password());
        }

        java.sql.Connection connect(String user, String password) throws java.sql.SQLException {
            java.util.Properties p = new java.util.Properties();
            p.setProperty("user", user);
            p.setProperty("password", password);
            p.setProperty("prepareThreshold", "0");
            p.setProperty("connectTimeout", "10");
            p.setProperty("ApplicationName", "fortress-cluster");
            return java.sql.DriverManager.getConnection("jdbc:postgresql://" + address() + "/" + cluster.database(), p);
        }

        /** True while the process named in its pid file runs. */
        public boolean isRunning() {
            return process.isAlive();
        }

        /** Its pid while it runs pgbouncer (a stale pid file may name a pid another program has since been given). */
        Optional<Long> pid() {
            return process.pid();
        }

        @Override
        public String toString() {
            return "PgBouncer " + address() + " -> " + node.name() + " " + node.address();
        }
    }

    private PgBouncers(LocalCluster cluster, List<Front> fronts, boolean detached) {
        this.cluster = cluster;
        this.folder = folder(cluster);
        this.fronts = List.copyOf(fronts);
        this.detached = detached;
    }

    /**
     * Writes the configuration (first time: a free port per node) and starts a PgBouncer in front of
     * every node of the started cluster; returns once each accepts connections. One that runs already
     * is left as it is. Unless {@code detached}, {@link #close()} stops the ones started here, and so
     * does a watchdog when this JVM dies first.
     *
     * @param poolSize server connections per database and user (PgBouncer's {@code default_pool_size})
     */
    public static PgBouncers start(LocalCluster cluster, int poolSize, boolean detached) {
        if (!cluster.isStarted()) {
            throw new IllegalStateException("start the cluster before its PgBouncers");
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be at least 1, not " + poolSize);
        }
        String binary = binary();
        Path folder = folder(cluster);
        ServerUser user = cluster.serverUser();
        List<Front> fronts = new ArrayList<>();
        try {
            Files.createDirectories(folder);
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            user.own(folder);
            Path authFile = folder.resolve("userlist.txt");
            ClusterFiles.write(authFile, quote(cluster.superuser()) + " " + quote(cluster.password()) + "\n", "rw-------", user);
            for (Node node : cluster.nodes()) {
                Optional<Integer> existing = configuredPort(folder, node);
                Front front = new Front(cluster, node, existing.orElseGet(Loopback::freePort), folder);
                ClusterFiles.write(front.config, config(front, authFile, poolSize, cluster.superuser()), "rw-------", user);
                fronts.add(front);
            }
        } catch (IOException e) {
            throw new ClusterException("cannot write the PgBouncer configuration in " + folder + ": " + e.getMessage(), e);
        }
        PgBouncers bouncers = new PgBouncers(cluster, fronts, detached);
        try {
            for (Front front : fronts) {
                if (!front.isRunning()) {
                    bouncers.launch(binary, front);
                    bouncers.own.add(front);
                }
            }
            bouncers.startWatchdog();
        } catch (RuntimeException e) {
            bouncers.own.forEach(bouncers::stop); // also when detached: a half-started set is not left behind
            bouncers.close();
            throw e;
        }
        LOG.info("PgBouncer in front of every node: {}", fronts);
        return bouncers;
    }

    /**
     * The PgBouncers configured for a persistent cluster earlier (by {@code fortress cluster start
     * --pgbouncer}), running or not, without starting any.
     */
    public static Optional<PgBouncers> inspect(LocalCluster cluster) {
        Path folder = folder(cluster);
        List<Front> fronts = new ArrayList<>();
        for (Node node : cluster.nodes()) {
            Optional<Integer> port = configuredPort(folder, node);
            if (port.isEmpty()) {
                return Optional.empty();
            }
            fronts.add(new Front(cluster, node, port.get(), folder));
        }
        return Optional.of(new PgBouncers(cluster, fronts, true));
    }

    /** Fails with the package to install when PgBouncer is missing. */
    public static String binary() {
        return Tool.PGBOUNCER.require().toString();
    }

    private static Path folder(LocalCluster cluster) {
        return cluster.rootDirectory().resolve(FOLDER);
    }

    private static Optional<Integer> configuredPort(Path folder, Node node) {
        try {
            Matcher m = PORT_LINE.matcher(Files.readString(folder.resolve(node.name() + ".ini")));
            return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String config(Front front, Path authFile, int poolSize, String superuser) {
        return "; Written by fortress PgBouncers: transaction pooling in front of " + front.node.name() + "\n"
                + "[databases]\n"
                + "* = host=" + Node.HOST + " port=" + front.node.port() + "\n"
                + "\n[pgbouncer]\n"
                + "listen_addr = " + Node.HOST + "\n"
                + "listen_port = " + front.port + "\n"
                + "unix_socket_dir =\n"
                + "auth_type = scram-sha-256\n"
                + "auth_file = " + authFile + "\n"
                + "admin_users = " + superuser + "\n"
                + "pool_mode = transaction\n"
                + "default_pool_size = " + poolSize + "\n"
                + "max_client_conn = 1000\n"
                // pgjdbc sends it in every startup packet; PgBouncer refuses unknown startup parameters
                + "ignore_startup_parameters = extra_float_digits\n"
                + "server_tls_sslmode = prefer\n"
                // a node that comes back is used again within a second (PgBouncer's default is 15 s)
                + "server_login_retry = 1\n"
                + "logfile = " + front.process.logFile() + "\n"
                + "pidfile = " + front.process.pidFile() + "\n";
    }

    /** A value of PgBouncer's auth file: double-quoted, with double quotes doubled. */
    private static String quote(String value) {
        return "\"" + value.replace("\"", "\"\"") + "\"";
    }

    private void launch(String binary, Front front) {
        ServerUser user = cluster.serverUser();
        Processes.runChecked(user.command(List.of(binary, "-d", front.config.toString())), Duration.ofSeconds(30));
        if (!Poll.await(Duration.ofSeconds(30), 50, () -> front.isRunning() && Loopback.accepts(front.port))) {
            throw new ClusterException(front + " did not start within 30 s; its log ends:\n" + front.process.logTail(20));
        }
    }

    /** Ends the PgBouncers of this JVM's fronts when it dies without closing them. */
    private void startWatchdog() {
        if (detached || own.isEmpty()) {
            return;
        }
        watchdog = Watchdog.start(Watchdog.PGBOUNCERS_SCRIPT, "fortress-pgbouncer-watchdog",
                own.stream().map(f -> f.process.pidFile().toString()).toList());
    }

    /** Every PgBouncer: the primary's first, then the replicas' in order. */
    public List<Front> fronts() {
        return fronts;
    }

    /** The PgBouncer in front of {@code node}. */
    public Front front(Node node) {
        return fronts.stream().filter(f -> f.node == node || f.node.name().equals(node.name())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no PgBouncer in front of " + node.name()));
    }

    /** {@code host:port} of the PgBouncer in front of the node that was created as the primary. */
    public String primaryAddress() {
        return front(cluster.primary()).address();
    }

    /** {@code host:port} of the replicas' PgBouncers, comma-separated, as DB_REPLICA_HOSTS takes them. */
    public String replicaAddresses() {
        return String.join(",", cluster.replicas().stream().map(n -> front(n).address()).toList());
    }

    /** The nodes' own addresses in the same order (primary, then replicas), as DB_DIRECT_HOSTS takes them. */
    public String directAddresses() {
        List<String> direct = new ArrayList<>(List.of(cluster.primary().address()));
        cluster.replicas().forEach(n -> direct.add(n.address()));
        return String.join(",", direct);
    }

    /**
     * Lets another login through every PgBouncer (the role must exist on the servers): adds it to the
     * auth file and has each running PgBouncer reload it.
     */
    public void addUser(String name, String password) {
        Path authFile = folder.resolve("userlist.txt");
        try {
            String text = Files.readString(authFile, StandardCharsets.UTF_8) + quote(name) + " " + quote(password) + "\n";
            ClusterFiles.write(authFile, text, "rw-------", cluster.serverUser());
        } catch (IOException e) {
            throw new ClusterException("cannot add " + name + " to " + authFile + ": " + e.getMessage(), e);
        }
        fronts.forEach(front -> front.process.signal("HUP"));
        for (Front front : fronts) {
            if (front.isRunning()) {
                awaitLogin(front, name, password);
            }
        }
    }

    /** Waits until the reloaded PgBouncer lets the login in (a reload is asynchronous). */
    private static void awaitLogin(Front front, String name, String password) {
        java.sql.SQLException[] last = new java.sql.SQLException[1];
        boolean in = Poll.await(Duration.ofSeconds(10), 50, () -> {
            try (java.sql.Connection c = front.connect(name, password)) {
                return true;
            } catch (java.sql.SQLException e) {
                last[0] = e;
                return false;
            }
        });
        if (!in) {
            throw new ClusterException(front + " does not let " + name + " in after a reload: " + last[0].getMessage(), last[0]);
        }
    }

    /** Stops one PgBouncer (SIGTERM: clients are cut off at once) and waits until it has exited. */
    public void stop(Front front) {
        front.process.terminate(Duration.ofSeconds(30));
    }

    /** Freezes one PgBouncer (SIGSTOP): the kernel still accepts TCP, nothing answers. {@link #thaw} undoes it. */
    public void freeze(Front front) {
        front.process.freeze();
    }

    /** Resumes a frozen PgBouncer (SIGCONT). */
    public void thaw(Front front) {
        front.process.thaw();
    }

    /** Starts a stopped PgBouncer again, on its port. */
    public void restart(Front front) {
        if (!front.isRunning()) {
            launch(binary(), front);
        }
    }

    /** Stops every PgBouncer, whoever started it ({@code fortress cluster stop}). */
    public void stopAll() {
        fronts.forEach(this::stop);
    }

    /** Stops the PgBouncers this instance started, unless it is detached. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!detached) {
            own.forEach(this::stop);
        }
        if (watchdog != null) {
            watchdog.stop();
        }
    }
}
