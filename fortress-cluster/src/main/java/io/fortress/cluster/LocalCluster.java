package io.fortress.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
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
    private static final String STATE_FILE = "cluster.properties";
    private static final String PASSWORD_FILE = "password";
    private static final String PGPASS_FILE = "pgpass";
    private static final String NODE_CONFIG = "fortress.conf";
    /** Entries of a data directory a base backup leaves out (their contents, for folders). */
    private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "backup_label.old", "tablespace_map", "standby.signal", "recovery.signal", NODE_CONFIG);
    private static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");

    private final Path root;
    private final boolean persistent;
    private final int replicaCount;
    private final String superuser;
    private final String database;
    private final Map<String, String> extraSettings;
    private final boolean tls;
    private final boolean detached;
    private final boolean stopOnExit;
    /** The nodes this instance started (and so stops); in a persistent cluster others may already run. */
    private final List<Node> ownNodes = new ArrayList<>();
    private final PgBinaries binaries;
    private final ServerUser serverUser;
    private final List<Node> nodes = new ArrayList<>();
    private String password;
    private Process watchdog;
    private Thread shutdownHook;
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
        Map<String, String> settings = new LinkedHashMap<>();
        if (!persistent) {
            // Throw-away data need no durability; this keeps tests fast on small machines.
            settings.put("fsync", "off");
            settings.put("full_page_writes", "off");
        }
        settings.putAll(b.settings);
        this.extraSettings = Collections.unmodifiableMap(settings);
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
            try {
                Files.createDirectories(root);
            } catch (IOException e) {
                throw new ClusterException("cannot create the cluster folder: " + e.getMessage(), e);
            }
            serverUser.checkReachable(root.getParent());
            if (!exists()) {
                initialize();
            } else {
                if (nodes.isEmpty()) {
                    load();
                }
                ownNodes.clear();
                for (Node node : nodes) {
                    if (!node.isRunning()) {
                        ownNodes.add(node);
                    }
                }
                startWatchdog();
                for (Node node : ownNodes) {
                    node.start();
                }
                for (Node replica : replicas()) {
                    awaitStreaming(replica, Duration.ofSeconds(60));
                }
            }
        } catch (RuntimeException e) {
            stopQuietly();
            throw e;
        }
        started = true;
        if (!detached && stopOnExit) {
            shutdownHook = new Thread(this::stopQuietly, "fortress-cluster-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
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
        stop(ownNodes);
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
        return Files.exists(root.resolve(STATE_FILE));
    }

    private void stop(List<Node> which) {
        List<Node> order = new ArrayList<>(which);
        Collections.reverse(order);
        RuntimeException failure = null;
        for (Node node : order) {
            try {
                if (persistent) {
                    node.stop();
                } else {
                    node.stopImmediately();
                }
            } catch (RuntimeException e) {
                try {
                    node.kill();
                } catch (RuntimeException ignored) {
                    // reported below through the first failure
                }
                failure = failure == null ? e : failure;
            }
        }
        if (watchdog != null) {
            watchdog.destroyForcibly();
            watchdog = null;
        }
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what is running us
            }
            shutdownHook = null;
        }
        started = false;
        if (!persistent) {
            deleteTree(root);
        }
        if (failure != null) {
            throw failure;
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
        return root.resolve(PASSWORD_FILE);
    }

    /** The 0600 libpq password file ({@code PGPASSFILE}) with the superuser's login for every node. */
    public Path pgpassFile() {
        return root.resolve(PGPASS_FILE);
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
        long deadline = System.nanoTime() + timeout.toNanos();
        String sql = "SELECT count(*) FROM pg_stat_replication WHERE application_name = ? AND state = 'streaming'";
        while (true) {
            try (Connection c = primary().connect(); PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, replica.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getInt(1) > 0) {
                        return;
                    }
                }
            } catch (SQLException e) {
                // the primary may be starting; retry until the deadline
            }
            if (System.nanoTime() > deadline) {
                throw new ClusterException("replica " + replica + " is not streaming after " + timeout.toSeconds()
                        + " s; its log ends with:\n" + replica.logTail(20));
            }
            Node.sleep(50);
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

    // ---------------------------------------------------------------- creation

    private void initialize() {
        try {
            serverUser.own(root);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            Files.createDirectories(root.resolve("logs"));
            serverUser.own(root.resolve("logs"));
            password = generatePassword();
            writeSecret(root.resolve(PASSWORD_FILE), password + "\n");
            writeSecret(root.resolve(PGPASS_FILE), Node.HOST + ":*:*:" + escapePgpass(superuser) + ":" + escapePgpass(password) + "\n");
        } catch (IOException e) {
            throw new ClusterException("cannot prepare " + root + ": " + e.getMessage(), e);
        }
        nodes.add(newNode("primary", freePort()));
        for (int i = 1; i <= replicaCount; i++) {
            nodes.add(newNode("replica-" + i, freePort()));
        }
        ownNodes.addAll(nodes);
        startWatchdog();
        if (tls) {
            tlsFiles().create(serverUser);
        }

        Node primary = primary();
        Processes.runChecked(serverUser.command(List.of(binaries.tool("initdb"), "-D", primary.dataDirectory().toString(),
                "-U", superuser, "--pwfile=" + passwordFile(), "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
                "--no-sync")), Duration.ofMinutes(5));
        writePgHba(primary.dataDirectory());
        appendInclude(primary.dataDirectory());
        saveState();
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
            createReplica(replica);
            replica.start();
        }
        for (Node replica : replicas()) {
            awaitStreaming(replica, Duration.ofSeconds(60));
        }
    }

    private Node newNode(String name, int port) {
        return new Node(this, name, root.resolve(name), root.resolve("logs").resolve(name + ".log"), port);
    }

    /** Copies the running primary into the replica's data directory with the low-level backup API. */
    private void createReplica(Node replica) {
        Node primary = primary();
        String slot = slotName(replica);
        boolean modernApi = binaries.majorVersion() >= 15;
        try (Connection c = primary.connect(); Statement s = c.createStatement()) {
            // Reserving WAL now guarantees the primary keeps everything the copy will need to stream.
            s.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
            s.execute(modernApi ? "SELECT pg_backup_start('fortress " + replica.name() + "', true)"
                    : "SELECT pg_start_backup('fortress " + replica.name() + "', true, false)");
            copyDataDirectory(primary.dataDirectory(), replica.dataDirectory());
            String labelFile;
            try (ResultSet rs = s.executeQuery(modernApi ? "SELECT labelfile FROM pg_backup_stop(false)"
                    : "SELECT labelfile FROM pg_stop_backup(false, false)")) {
                rs.next();
                labelFile = rs.getString(1);
            }
            Files.writeString(replica.dataDirectory().resolve("backup_label"), labelFile, StandardCharsets.UTF_8);
            Files.writeString(replica.dataDirectory().resolve("standby.signal"), "", StandardCharsets.UTF_8);
            serverUser.ownTree(replica.dataDirectory());
        } catch (SQLException | IOException e) {
            throw new ClusterException("cannot create " + replica.name() + " from a base backup of the primary: " + e.getMessage(), e);
        }
    }

    private static void copyDataDirectory(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path relative = source.relativize(dir);
                Path copy = target.resolve(relative.toString());
                Files.createDirectories(copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwx------"));
                if (relative.getNameCount() == 1 && EMPTIED_DIRECTORIES.contains(relative.toString())) {
                    if (relative.toString().equals("pg_wal")) {
                        Files.createDirectories(copy.resolve("archive_status"));
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return dir.getFileName().toString().startsWith("pgsql_tmp") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path relative = source.relativize(file);
                if (relative.getNameCount() == 1 && SKIPPED_FILES.contains(relative.toString())) {
                    return FileVisitResult.CONTINUE;
                }
                try {
                    Files.copy(file, target.resolve(relative.toString()), StandardCopyOption.COPY_ATTRIBUTES);
                } catch (NoSuchFileException vanished) {
                    // removed by the running server during the copy; WAL replay makes up for it
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }

    // ---------------------------------------------------------------- configuration

    /** Rewrites the node's own settings file (port, addresses, replication), read on every start. */
    void writeNodeConfig(Node node) {
        StringBuilder conf = new StringBuilder();
        conf.append("# Written by fortress LocalCluster for ").append(node.name()).append(" on every start; edits are lost.\n");
        setting(conf, "listen_addresses", Node.HOST);
        conf.append("port = ").append(node.port()).append('\n');
        setting(conf, "unix_socket_directories", "");
        conf.append("max_connections = 200\n");
        setting(conf, "shared_buffers", "32MB");
        setting(conf, "wal_level", "replica");
        conf.append("max_wal_senders = 10\n");
        conf.append("max_replication_slots = 10\n");
        setting(conf, "hot_standby", "on");
        setting(conf, "wal_receiver_status_interval", "1s");
        setting(conf, "log_line_prefix", "%m [%p] %q%a ");
        if (node.isStandby()) {
            setting(conf, "primary_conninfo", primaryConninfo(node, primary().port()));
            setting(conf, "primary_slot_name", slotName(node));
        }
        if (tls) {
            Tls files = tlsFiles();
            setting(conf, "ssl", "on");
            setting(conf, "ssl_cert_file", files.serverCertificate().toString());
            setting(conf, "ssl_key_file", files.serverKey().toString());
            setting(conf, "ssl_ca_file", files.caCertificate().toString());
        }
        extraSettings.forEach((name, value) -> setting(conf, name, value));
        Path file = node.dataDirectory().resolve(NODE_CONFIG);
        try {
            Files.writeString(file, conf, StandardCharsets.UTF_8);
            serverUser.own(file);
        } catch (IOException e) {
            throw new ClusterException("cannot write " + file + ": " + e.getMessage(), e);
        }
        if (isPortTaken(node.port())) {
            throw new ClusterException("cannot start " + node.name() + ": port " + node.port() + " on " + Node.HOST
                    + " is already in use by another process");
        }
    }

    /** libpq connection string a standby uses to stream from the given port; the password comes from the pgpass file. */
    String primaryConninfo(Node standby, int upstreamPort) {
        return "host=" + Node.HOST + " port=" + upstreamPort + " user=" + superuser + " passfile=" + pgpassFile()
                + " application_name=" + standby.name() + " connect_timeout=5";
    }

    private static void setting(StringBuilder conf, String name, String value) {
        conf.append(name).append(" = '").append(value.replace("'", "''")).append("'\n");
    }

    private void writePgHba(Path dataDirectory) {
        String hba = "# Written by fortress LocalCluster: loopback TCP only, password (SCRAM) authentication"
                + (tls ? ", or a client certificate for members of " + Tls.CLIENT_CERT_GROUP : "") + ".\n"
                + (tls ? "hostssl all            +" + Tls.CLIENT_CERT_GROUP + "    127.0.0.1/32    cert\n" : "")
                + "host    all            all    127.0.0.1/32    scram-sha-256\n"
                + "host    replication    all    127.0.0.1/32    scram-sha-256\n";
        try {
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), hba, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ClusterException("cannot write pg_hba.conf: " + e.getMessage(), e);
        }
    }

    private void appendInclude(Path dataDirectory) {
        try {
            Files.writeString(dataDirectory.resolve("postgresql.conf"), "\ninclude_if_exists = '" + NODE_CONFIG + "'\n",
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new ClusterException("cannot extend postgresql.conf: " + e.getMessage(), e);
        }
    }

    void pgCtl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binaries.tool("pg_ctl"));
        command.addAll(List.of(args));
        Processes.runChecked(serverUser.command(command), Duration.ofMinutes(3));
    }

    // ---------------------------------------------------------------- state of a persistent cluster

    private void saveState() {
        Properties state = new Properties();
        state.setProperty("superuser", superuser);
        state.setProperty("database", database);
        state.setProperty("replicas", Integer.toString(replicaCount));
        state.setProperty("tls", Boolean.toString(tls));
        for (Node node : nodes) {
            state.setProperty(node.name() + ".port", Integer.toString(node.port()));
        }
        Path file = root.resolve(STATE_FILE);
        try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            state.store(out, "fortress LocalCluster; ports and names of the nodes");
        } catch (IOException e) {
            throw new ClusterException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private void load() {
        Properties state = new Properties();
        Path file = root.resolve(STATE_FILE);
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            state.load(in);
            password = Files.readString(root.resolve(PASSWORD_FILE), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ClusterException("cannot read the cluster state in " + root + ": " + e.getMessage(), e);
        }
        String storedUser = state.getProperty("superuser");
        String storedDatabase = state.getProperty("database");
        int storedReplicas = Integer.parseInt(state.getProperty("replicas", "-1"));
        boolean storedTls = Boolean.parseBoolean(state.getProperty("tls", "false"));
        if (storedTls != tls) {
            throw new ClusterException("the cluster in " + root + " was created " + (storedTls ? "with" : "without")
                    + " TLS; build it with tls(" + storedTls + ") or use another data directory");
        }
        if (!superuser.equals(storedUser) || !database.equals(storedDatabase) || storedReplicas != replicaCount) {
            throw new ClusterException("the cluster in " + root + " was created with superuser " + storedUser + ", database "
                    + storedDatabase + " and " + storedReplicas + " replicas, not " + superuser + ", " + database + " and "
                    + replicaCount + "; use those settings or another data directory");
        }
        nodes.add(newNode("primary", Integer.parseInt(state.getProperty("primary.port"))));
        for (int i = 1; i <= replicaCount; i++) {
            nodes.add(newNode("replica-" + i, Integer.parseInt(state.getProperty("replica-" + i + ".port"))));
        }
    }

    // ---------------------------------------------------------------- processes outliving the JVM

    /**
     * The watchdog: {@code sh -c WATCHDOG_SCRIPT name JVM_PID CLEANUP_DIR DATA_DIR...}. A postmaster.pid left by a
     * server that died (killed, crashed) names a pid the kernel may since have given to any other program (a
     * pg_dump, say): only a process that still runs {@code postgres} is signalled.
     */
    static final String WATCHDOG_SCRIPT = """
            jvm=$1; cleanup=$2; shift 2
            while kill -0 "$jvm" 2>/dev/null; do sleep 1; done
            is_postgres() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = postgres ]; }
            for d in "$@"; do
              [ -f "$d/postmaster.pid" ] || continue
              pm=$(head -n 1 "$d/postmaster.pid")
              is_postgres "$pm" || continue
              # a frozen node (SIGSTOP) must run again to act on SIGQUIT
              kill -CONT "$pm" $(pgrep -P "$pm" 2>/dev/null) 2>/dev/null
              kill -QUIT "$pm" 2>/dev/null
            done
            sleep 3
            for d in "$@"; do
              [ -f "$d/postmaster.pid" ] || continue
              pm=$(head -n 1 "$d/postmaster.pid")
              is_postgres "$pm" && kill -KILL "$pm" 2>/dev/null
            done
            [ -n "$cleanup" ] && rm -rf -- "$cleanup"
            exit 0
            """;

    /**
     * Starts a shell that waits for this JVM to exit, then ends every server of this cluster (SIGQUIT,
     * an immediate shutdown, then SIGKILL) and removes a throw-away folder. It is killed on a normal stop.
     */
    private void startWatchdog() {
        if (detached || ownNodes.isEmpty()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", WATCHDOG_SCRIPT, "fortress-cluster-watchdog",
                Long.toString(ProcessHandle.current().pid()), persistent ? "" : root.toString()));
        for (Node node : ownNodes) {
            command.add(node.dataDirectory().toString());
        }
        watchdog = Processes.startInBackground(command, "cluster watchdog");
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping the local cluster in {} failed: {}", root, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- helpers

    private void writeSecret(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardCharsets.UTF_8);
        serverUser.own(file);
    }

    private static String generatePassword() {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder(32);
        for (int i = 0; i < 32; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private static String escapePgpass(String value) {
        return value.replace("\\", "\\\\").replace(":", "\\:");
    }

    private static String slotName(Node replica) {
        return replica.name().replace('-', '_');
    }

    static String quoteIdentifier(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(Node.HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new ClusterException("cannot find a free port on " + Node.HOST + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("try") // the socket is opened only to see whether the port is free
    private static boolean isPortTaken(int port) {
        try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getByName(Node.HOST))) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
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
