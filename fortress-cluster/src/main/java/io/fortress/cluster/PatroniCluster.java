package io.fortress.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Patroni-managed cluster on loopback: one etcd member and N Patroni members (Debian's
 * {@code patroni} and {@code etcd-server} packages), each running one PostgreSQL server. Patroni
 * elects the leader and makes the others stream from it; this class only starts, watches and breaks
 * things, as an operator or a crash would: a switchover, a killed postmaster, a stopped agent, a
 * frozen server.
 *
 * <p>Two modes, as {@link LocalCluster}'s: <em>throw-away</em> (the default) keeps everything in a fresh
 * temporary folder, and {@link #close()} ends every process and deletes it, as a watchdog does when this
 * JVM dies without closing it; <em>detached</em>
 * ({@link Builder#dataDirectory(Path)}, for {@code fortress cluster start --ha}) keeps ports, passwords
 * and data in the given folder and starts etcd and the agents in sessions of their own
 * ({@code setsid}), so they outlive this JVM; a later JVM finds them again through
 * {@link #inspect(Path)} and the pid files, and {@link #stop()} ends them cleanly and keeps the data.
 * Either way each process's pid is in {@code <name>.pid} in the folder, and a pid counts only while
 * {@code /proc/<pid>/cmdline} still names this cluster's files.
 *
 * <p>The configuration follows a small production one: the {@code etcd3} DCS, {@code ttl: 10},
 * {@code loop_wait: 2}, pg_rewind for a returning leader, password (SCRAM) logins over TCP only.
 */
public final class PatroniCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PatroniCluster.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** The cluster's name in the DCS (Patroni's {@code scope}). */
    public static final String SCOPE = "fortress";
    /** Ports, names and passwords of a detached cluster (0600). */
    private static final String STATE_FILE = "patroni.properties";
    /** The superuser's password alone (0600), as DB_PASSWORD_FILE takes it. */
    private static final String PASSWORD_FILE = "password";
    /** A configuration for patronictl: the scope and etcd, no secrets. */
    private static final String PATRONICTL_CONFIG = "patronictl.yml";

    private final Path root;
    private final boolean detached;
    private final ServerUser user;
    private final PgBinaries binaries;
    private final String database;
    private final String password;
    private final String replicationPassword;
    private final boolean synchronousMode;
    private final List<Agent> agents = new ArrayList<>();
    private final int etcdPort;
    private final int etcdPeerPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private ProcessHandle etcd;
    private Process watchdog;
    private boolean closed;

    /** A member as Patroni's {@code GET /cluster} lists it. */
    public record Member(String name, String role, String state, String host, int port, Long timeline, Long lag,
                         Map<String, Object> tags) {
        /** True for the member Patroni holds as the leader (the primary). */
        public boolean isLeader() {
            return "leader".equals(role) || "standby_leader".equals(role);
        }

        /** {@code host:port} of its PostgreSQL server. */
        public String address() {
            return host + ":" + port;
        }
    }

    /** A process of the cluster (etcd or an agent) as its pid file tells. */
    public record Daemon(String name, long pid, boolean running) {
    }

    /** One Patroni agent this class runs: its ports, folders and process. */
    private static final class Agent {
        final String name;
        final int pgPort;
        final int restPort;
        final Map<String, Object> tags;
        final Path config;
        final Path dataDirectory;
        final Path log;
        ProcessHandle process;

        Agent(String name, Path root, Map<String, Object> tags, int pgPort, int restPort) {
            this.name = name;
            this.tags = Map.copyOf(tags);
            this.pgPort = pgPort;
            this.restPort = restPort;
            this.config = root.resolve(name + ".yml");
            this.dataDirectory = root.resolve(name);
            this.log = root.resolve(name + ".log");
        }

        String restUrl() {
            return "http://" + Node.HOST + ":" + restPort;
        }
    }

    private PatroniCluster(Builder b) {
        this.user = ServerUser.detect();
        this.binaries = PgBinaries.locate();
        this.database = b.database;
        this.synchronousMode = b.synchronousMode;
        this.detached = b.dataDirectory != null;
        this.password = randomSecret();
        this.replicationPassword = randomSecret();
        this.etcdPort = LocalCluster.freePort();
        this.etcdPeerPort = LocalCluster.freePort();
        try {
            if (detached) {
                this.root = b.dataDirectory.toAbsolutePath().normalize();
                if (exists(root)) {
                    throw new ClusterException("a Patroni cluster already exists in " + root + "; use PatroniCluster.inspect(dir) for it");
                }
                if (Files.isDirectory(root)) {
                    try (var entries = Files.list(root)) {
                        if (entries.findAny().isPresent()) {
                            throw new ClusterException("cannot create a Patroni cluster in " + root + ": the folder is not empty");
                        }
                    }
                }
                Files.createDirectories(root);
            } else {
                this.root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "fortress-patroni-");
            }
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new ClusterException("cannot create the cluster folder " + b.dataDirectory + ": " + e.getMessage(), e);
        }
        for (int i = 1; i <= b.members; i++) {
            String name = "member-" + i;
            agents.add(new Agent(name, root, b.tags.getOrDefault(name, Map.of()), LocalCluster.freePort(), LocalCluster.freePort()));
        }
    }

    /** A detached cluster as its folder describes it; nothing is started. */
    private PatroniCluster(Path root, Properties state) {
        this.user = ServerUser.detect();
        this.binaries = null; // only written into the configuration at creation
        this.root = root;
        this.detached = true;
        try {
            this.database = required(state, "database");
            this.synchronousMode = Boolean.parseBoolean(required(state, "synchronous_mode"));
            this.password = required(state, "password");
            this.replicationPassword = required(state, "replication_password");
            this.etcdPort = Integer.parseInt(required(state, "etcd.port"));
            this.etcdPeerPort = Integer.parseInt(required(state, "etcd.peer_port"));
            int members = Integer.parseInt(required(state, "members"));
            for (int i = 1; i <= members; i++) {
                String name = "member-" + i;
                agents.add(new Agent(name, root, Map.of(), Integer.parseInt(required(state, name + ".pg_port")),
                        Integer.parseInt(required(state, name + ".rest_port"))));
            }
        } catch (NumberFormatException e) {
            throw new ClusterException("the Patroni cluster's state in " + root.resolve(STATE_FILE) + " is damaged: " + e.getMessage(), e);
        }
        this.etcd = alive(pidFile("etcd"), etcdDirectory().toString()).orElse(null);
        for (Agent a : agents) {
            a.process = alive(pidFile(a.name), a.config.toString()).orElse(null);
        }
    }

    private String required(Properties state, String key) {
        String value = state.getProperty(key);
        if (value == null) {
            throw new ClusterException("the Patroni cluster's state in " + root.resolve(STATE_FILE) + " lacks " + key
                    + "; it is damaged: stop what still runs and delete " + root);
        }
        return value;
    }

    /** True when {@code directory} holds a detached cluster made by {@link Builder#dataDirectory(Path)}. */
    public static boolean exists(Path directory) {
        return Files.exists(directory.resolve(STATE_FILE));
    }

    /**
     * The detached cluster in {@code directory}, whether or not its processes run; starts nothing.
     *
     * @throws ClusterException when the folder holds no such cluster
     */
    public static PatroniCluster inspect(Path directory) {
        Path root = directory.toAbsolutePath().normalize();
        if (!exists(root)) {
            throw new ClusterException("no Patroni cluster in " + root);
        }
        Properties state = new Properties();
        try (var in = Files.newBufferedReader(root.resolve(STATE_FILE), StandardCharsets.UTF_8)) {
            state.load(in);
        } catch (IOException e) {
            throw new ClusterException("cannot read the Patroni cluster's state in " + root + ": " + e.getMessage(), e);
        }
        return new PatroniCluster(root, state);
    }

    /** A builder of a three-member cluster with database {@code fortress}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Fails with a message naming the Debian package to install when {@code patroni} or {@code etcd}
     * is missing.
     */
    public static void requireInstalled() {
        Tool.PATRONI.require();
        Tool.ETCD.require();
    }

    private void start() {
        requireInstalled();
        long started = System.nanoTime();
        try {
            user.own(root);
            user.checkReachable(root);
            if (detached) {
                writeDetachedFiles();
            } else {
                startWatchdog();
            }
            startEtcd();
            for (Agent a : agents) {
                writeConfig(a);
                startAgent(a);
            }
            awaitStreaming(START_TIMEOUT, true);
            try (Connection c = connect(leader().name(), "postgres"); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + LocalCluster.quoteIdentifier(database));
            }
            awaitStreaming(START_TIMEOUT, true);
        } catch (RuntimeException | SQLException e) {
            String logs = logTails();
            // nothing of value yet: a detached cluster's new folder goes too, so that a retry starts afresh
            stopProcesses(null);
            try {
                LocalCluster.deleteTree(root);
            } catch (RuntimeException notDeleted) {
                LOG.warn("cannot delete {}: {}", root, notDeleted.getMessage());
            }
            closed = true;
            stopWatchdog();
            throw new ClusterException("the Patroni cluster did not come up: " + e.getMessage() + logs, e);
        }
        LOG.info("Patroni cluster of {} members up in {} ms in {}", agents.size(), (System.nanoTime() - started) / 1_000_000, root);
    }

    /**
     * Starts what of a detached cluster does not run (etcd, then the member that led when it was stopped,
     * then the others) and returns once every member streams from the leader. Does nothing more when all runs.
     *
     * @return false when everything already ran
     */
    public synchronized boolean startStopped() {
        if (!detached) {
            throw new IllegalStateException("only a detached cluster is started again; a throw-away one ends at close()");
        }
        requireInstalled();
        boolean startedSomething = false;
        try {
            if (!isRunning(etcd)) {
                startEtcd();
                startedSomething = true;
            }
            List<Agent> stopped = agents.stream().filter(a -> !isRunning(a.process)).toList();
            if (!stopped.isEmpty()) {
                startedSomething = true;
                // the member that led last has the newest WAL: let it take the leader key before the others come
                String lastLeader = readState().getProperty("last_leader", "");
                Optional<Agent> first = stopped.stream().filter(a -> a.name.equals(lastLeader)).findFirst();
                if (first.isPresent() && stopped.size() == agents.size()) {
                    startAgent(first.get());
                    awaitMember(m -> m.isLeader() && m.name().equals(lastLeader), lastLeader + " to lead again", START_TIMEOUT);
                }
                for (Agent a : stopped) {
                    if (!isRunning(a.process)) {
                        startAgent(a);
                    }
                }
            }
            awaitStreaming(START_TIMEOUT, true);
        } catch (RuntimeException e) {
            throw new ClusterException("the Patroni cluster in " + root + " did not come up: " + e.getMessage()
                    + "; what started is left running (bin/fortress cluster stop ends it)" + logTails(), e);
        }
        return startedSomething;
    }

    private void startEtcd() {
        String client = etcdUrl();
        String peer = "http://" + Node.HOST + ":" + etcdPeerPort;
        etcd = launch("etcd", List.of("etcd", "--name", "etcd-1", "--data-dir", etcdDirectory().toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "etcd-1=" + peer, "--initial-cluster-state", "new"), root.resolve("etcd.log"));
        awaitCondition("etcd to answer on " + client, Duration.ofSeconds(30), () -> get(client + "/health").map(b -> b.contains("true")).orElse(false));
    }

    /**
     * A throw-away cluster's watchdog: a shell that waits for this JVM to exit, then ends the agents (SIGTERM: each
     * stops its server; SIGKILL after 20 s), any server left (thawed first), etcd, and deletes the folder; all found
     * through the pid files. {@link #close()} kills it.
     */
    private void startWatchdog() {
        String script = """
                jvm=$1; root=$2
                while kill -0 "$jvm" 2>/dev/null; do sleep 1; done
                agents() { for f in "$root"/member-*.pid; do [ -f "$f" ] && head -n 1 "$f"; done; }
                running() { for p in $(agents); do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
                kill -TERM $(agents) 2>/dev/null
                i=0
                while [ $i -lt 20 ] && running; do sleep 1; i=$((i+1)); done
                kill -KILL $(agents) 2>/dev/null
                for d in "$root"/member-*; do
                  [ -f "$d/postmaster.pid" ] || continue
                  pm=$(head -n 1 "$d/postmaster.pid")
                  kill -CONT "$pm" $(pgrep -P "$pm" 2>/dev/null) 2>/dev/null
                  kill -KILL "$pm" $(pgrep -P "$pm" 2>/dev/null) 2>/dev/null
                done
                if [ -f "$root/etcd.pid" ]; then
                  etcd=$(head -n 1 "$root/etcd.pid")
                  kill -TERM "$etcd" 2>/dev/null; sleep 2; kill -KILL "$etcd" 2>/dev/null
                fi
                rm -rf -- "$root"
                exit 0
                """;
        watchdog = Processes.startInBackground(List.of("/bin/sh", "-c", script, "fortress-patroni-watchdog",
                Long.toString(ProcessHandle.current().pid()), root.toString()), "Patroni cluster watchdog");
    }

    private Path etcdDirectory() {
        return root.resolve("etcd");
    }

    /** etcd's client URL, e.g. {@code http://127.0.0.1:2379}. */
    public String etcdUrl() {
        return "http://" + Node.HOST + ":" + etcdPort;
    }

    /** The state, password and patronictl files of a detached cluster, written before anything starts. */
    private void writeDetachedFiles() {
        Properties state = new Properties();
        state.setProperty("database", database);
        state.setProperty("synchronous_mode", Boolean.toString(synchronousMode));
        state.setProperty("password", password);
        state.setProperty("replication_password", replicationPassword);
        state.setProperty("etcd.port", Integer.toString(etcdPort));
        state.setProperty("etcd.peer_port", Integer.toString(etcdPeerPort));
        state.setProperty("members", Integer.toString(agents.size()));
        for (Agent a : agents) {
            state.setProperty(a.name + ".pg_port", Integer.toString(a.pgPort));
            state.setProperty(a.name + ".rest_port", Integer.toString(a.restPort));
        }
        writeState(state);
        writeFile(passwordFile(), password + "\n", "rw-------");
        writeFile(patronictlConfig(), """
                # for patronictl -c %s list | switchover | failover | restart ...
                scope: %s
                etcd3:
                  hosts: %s:%d
                """.formatted(patronictlConfig(), SCOPE, Node.HOST, etcdPort), "rw-r--r--");
    }

    private Properties readState() {
        Properties state = new Properties();
        try (var in = Files.newBufferedReader(root.resolve(STATE_FILE), StandardCharsets.UTF_8)) {
            state.load(in);
        } catch (IOException e) {
            throw new ClusterException("cannot read the Patroni cluster's state in " + root + ": " + e.getMessage(), e);
        }
        return state;
    }

    private void writeState(Properties state) {
        StringWriter text = new StringWriter();
        try {
            state.store(text, "fortress PatroniCluster (fortress cluster start --ha): ports, names and passwords");
        } catch (IOException e) {
            throw new ClusterException("cannot write the Patroni cluster's state: " + e.getMessage(), e);
        }
        writeFile(root.resolve(STATE_FILE), text.toString(), "rw-------");
    }

    private void writeFile(Path file, String content, String permissions) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ClusterException("cannot write " + file + ": " + e.getMessage(), e);
        }
        user.own(file);
    }

    private void writeConfig(Agent a) {
        StringBuilder tags = new StringBuilder();
        a.tags.forEach((k, v) -> tags.append("  ").append(k).append(": ").append(v).append('\n'));
        String yaml = """
                scope: %s
                name: %s
                restapi:
                  listen: %s:%d
                  connect_address: %s:%d
                etcd3:
                  hosts: %s:%d
                bootstrap:
                  dcs:
                    ttl: 10
                    loop_wait: 2
                    retry_timeout: 5
                    maximum_lag_on_failover: 1048576
                    synchronous_mode: %s
                    postgresql:
                      use_pg_rewind: true
                      remove_data_directory_on_rewind_failure: true
                      remove_data_directory_on_diverged_timelines: true
                      parameters:
                        wal_log_hints: 'on'
                        max_wal_senders: 10
                        max_replication_slots: 10%s
                  initdb:
                  - encoding: UTF8
                  - auth-host: scram-sha-256
                  - auth-local: peer
                  pg_hba:
                  - host replication replicator 127.0.0.1/32 scram-sha-256
                  - host all all 127.0.0.1/32 scram-sha-256
                postgresql:
                  listen: %s:%d
                  connect_address: %s:%d
                  data_dir: %s
                  bin_dir: %s
                  pgpass: %s
                  authentication:
                    superuser: {username: postgres, password: '%s'}
                    replication: {username: replicator, password: '%s'}
                    rewind: {username: postgres, password: '%s'}
                  parameters:
                    unix_socket_directories: '%s'
                tags:
                %s""".formatted(SCOPE, a.name, Node.HOST, a.restPort, Node.HOST, a.restPort, Node.HOST, etcdPort, synchronousMode,
                detached ? "" : "\n        fsync: 'off'", // throw-away data need no durability
                Node.HOST, a.pgPort, Node.HOST, a.pgPort, a.dataDirectory, binaries.binDir(), root.resolve(a.name + ".pgpass"),
                password, replicationPassword, password, root, tags.length() == 0 ? "  {}\n" : tags);
        try {
            Files.writeString(a.config, yaml.replace("tags:\n  {}", "tags: {}"), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(a.config, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new ClusterException("cannot write " + a.config + ": " + e.getMessage(), e);
        }
        user.own(a.config);
    }

    private void startAgent(Agent a) {
        a.process = launch(a.name, List.of("patroni", a.config.toString()), a.log);
    }

    /**
     * Starts a process of the cluster as the server user, its output appended to {@code log}, its pid in
     * {@code <name>.pid}. Detached, it runs in a session of its own ({@code setsid}, which execs in place: the
     * pid is the process's own), with no terminal and stdin from /dev/null, so nothing of this JVM's ending
     * (a hang-up, a signal to its process group) reaches it.
     */
    private ProcessHandle launch(String name, List<String> command, Path log) {
        List<String> full = new ArrayList<>();
        if (detached) {
            full.add("setsid");
        }
        full.addAll(user.exec(command));
        ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Processes.scrubEnvironment(builder.environment());
        builder.environment().put("HOME", root.toString());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new ClusterException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        writeFile(pidFile(name), process.pid() + "\n", "rw-r--r--");
        return process.toHandle();
    }

    private Path pidFile(String name) {
        return root.resolve(name + ".pid");
    }

    /** The process a pid file names, while it runs and its command line still names {@code marker} (no reused pid). */
    private static Optional<ProcessHandle> alive(Path pidFile, String marker) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).strip());
            Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(Processes::isAlive);
            if (process.isEmpty()) {
                return Optional.empty();
            }
            String commandLine = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
            return commandLine.contains(marker) ? process : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no pid file, or the process is gone
        }
    }

    private static boolean isRunning(ProcessHandle process) {
        return process != null && Processes.isAlive(process);
    }

    // ---- what the cluster looks like

    /** The REST API address of every member, e.g. {@code http://127.0.0.1:41234}. */
    public List<String> restUrls() {
        return agents.stream().map(Agent::restUrl).toList();
    }

    /** The database created at start-up. */
    public String database() {
        return database;
    }

    /** The superuser every test logs in as. */
    public String user() {
        return "postgres";
    }

    /** The superuser's password (generated for this cluster). */
    public String password() {
        return password;
    }

    /** Folder of the whole cluster: etcd, every member's data, configuration and log. */
    public Path rootDirectory() {
        return root;
    }

    /** True for a cluster made with {@link Builder#dataDirectory(Path)}, whose processes outlive this JVM. */
    public boolean isDetached() {
        return detached;
    }

    /** A 0600 file holding the superuser's password alone (DB_PASSWORD_FILE); a detached cluster's only. */
    public Path passwordFile() {
        return root.resolve(PASSWORD_FILE);
    }

    /** The configuration to give patronictl ({@code patronictl -c <file> list}); a detached cluster's only. */
    public Path patronictlConfig() {
        return root.resolve(PATRONICTL_CONFIG);
    }

    /** The names of the members ({@code member-1}, ...), whether or not they run. */
    public List<String> memberNames() {
        return agents.stream().map(a -> a.name).toList();
    }

    /** The REST API address of one member. */
    public String restUrl(String member) {
        return agent(member).restUrl();
    }

    /** etcd, then every agent, each with its pid (0 when it never ran) and whether it runs now. */
    public List<Daemon> daemons() {
        List<Daemon> daemons = new ArrayList<>();
        daemons.add(daemon("etcd", etcd));
        agents.forEach(a -> daemons.add(daemon(a.name, a.process)));
        return daemons;
    }

    private Daemon daemon(String name, ProcessHandle process) {
        long pid = process != null ? process.pid() : readPid(pidFile(name));
        return new Daemon(name, pid, isRunning(process));
    }

    private static long readPid(Path pidFile) {
        try {
            return Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).strip());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** True while etcd and every agent run. */
    public boolean isRunning() {
        return daemons().stream().allMatch(Daemon::running);
    }

    /** True while etcd or any agent, or a server an agent left behind, runs. */
    public boolean isAnyRunning() {
        return daemons().stream().anyMatch(Daemon::running) || agents.stream().anyMatch(a -> !serverProcesses(a.name).isEmpty());
    }

    /** Every member as {@code GET /cluster} on the first REST API that answers lists it. */
    public List<Member> members() {
        for (Agent a : agents) {
            Optional<String> body = get(a.restUrl() + "/cluster");
            if (body.isPresent()) {
                return parseMembers(body.get());
            }
        }
        throw new ClusterException("no member's REST API answers GET /cluster");
    }

    private static List<Member> parseMembers(String body) {
        try {
            List<Member> members = new ArrayList<>();
            for (JsonNode m : JSON.readTree(body).path("members")) {
                Map<String, Object> tags = new LinkedHashMap<>();
                m.path("tags").fields().forEachRemaining(e -> tags.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
                members.add(new Member(m.path("name").asText(), m.path("role").asText(), m.path("state").asText(),
                        m.path("host").asText(), m.path("port").asInt(), m.hasNonNull("timeline") ? m.get("timeline").asLong() : null,
                        m.path("lag").isNumber() ? m.get("lag").asLong() : null, Map.copyOf(tags)));
            }
            return members;
        } catch (IOException e) {
            throw new ClusterException("GET /cluster answered something that is not its JSON: " + e.getMessage(), e);
        }
    }

    /**
     * What {@code patronictl list -f json} prints for this cluster (one map per member, with patronictl's
     * keys: Member, Host, Role, State, TL, Lag in MB, Tags), read through etcd rather than a REST API.
     */
    public List<Map<String, Object>> patronictlList() {
        String out = Processes.runChecked(List.of("patronictl", "-c", agents.get(0).config.toString(), "list", "-f", "json"),
                Duration.ofSeconds(30));
        try {
            return JSON.readValue(out.substring(out.indexOf('[')), new com.fasterxml.jackson.core.type.TypeReference<>() { });
        } catch (IOException | RuntimeException e) {
            throw new ClusterException("patronictl list printed no JSON: " + out.strip(), e);
        }
    }

    /** The member by name, as Patroni lists it now. */
    public Member member(String name) {
        return members().stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new ClusterException("Patroni lists no member " + name));
    }

    /** The leader Patroni lists now; waits up to 60 s for one. */
    public Member leader() {
        return awaitMember(Member::isLeader, "a leader", Duration.ofSeconds(60));
    }

    /** Waits for a member that matches and returns it as listed then. */
    public Member awaitMember(Predicate<Member> condition, String what, Duration timeout) {
        Member[] found = new Member[1];
        awaitCondition(what, timeout, () -> {
            try {
                found[0] = members().stream().filter(m -> "running".equals(m.state()) && condition.test(m)).findFirst().orElse(null);
            } catch (ClusterException e) {
                found[0] = null;
            }
            return found[0] != null;
        });
        return found[0];
    }

    /**
     * Waits until Patroni lists a running leader and every other member running, and every other member
     * streams from the leader (one {@code pg_stat_replication} row each) with nothing left to replay.
     */
    public void awaitStreaming(Duration timeout) {
        awaitStreaming(timeout, false);
    }

    /** As {@link #awaitStreaming(Duration)}; {@code agentsMustRun}: fails at once when an agent has exited (e.g. a bad configuration). */
    private void awaitStreaming(Duration timeout, boolean agentsMustRun) {
        awaitCondition("every member to stream from the leader", timeout, () -> {
            if (agentsMustRun) {
                for (Agent a : agents) {
                    if (a.process != null && !isRunning(a.process)) {
                        throw new ClusterException("the Patroni agent of " + a.name + " exited");
                    }
                }
            }
            try {
                List<Member> members = members();
                Optional<Member> leader = members.stream().filter(m -> m.isLeader() && "running".equals(m.state())).findFirst();
                // Patroni's own view too: a member it still lists as starting is not there yet for patronictl or fortress
                if (leader.isEmpty() || members.size() < agents.size()
                        || !members.stream().allMatch(m -> "running".equals(m.state()) || "streaming".equals(m.state()))) {
                    return false;
                }
                try (Connection c = connect(leader.get().name(), "postgres"); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE state = 'streaming' AND replay_lsn = pg_current_wal_lsn()) "
                             + "FROM pg_stat_replication")) {
                    rs.next();
                    return rs.getInt(1) == agents.size() - 1;
                }
            } catch (ClusterException | SQLException e) {
                return false;
            }
        });
    }

    // ---- connections

    /** The port a member's PostgreSQL server listens on. */
    public int port(String member) {
        return agent(member).pgPort;
    }

    /** A superuser connection to a member's server and the cluster's database. */
    public Connection connect(String member) throws SQLException {
        return connect(member, database);
    }

    private Connection connect(String member, String db) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "5");
        p.setProperty("loginTimeout", "5");
        p.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://" + Node.HOST + ":" + agent(member).pgPort + "/" + db, p);
    }

    // ---- operations

    /**
     * A planned switchover through the leader's REST API ({@code POST /switchover}): Patroni stops the
     * leader, promotes {@code candidate} and makes the old leader follow it. Returns once Patroni
     * reports it done.
     */
    public void switchover(String candidate) {
        Member leader = leader();
        String body = "{\"leader\":\"" + leader.name() + "\",\"candidate\":\"" + candidate + "\"}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(agent(leader.name()).restUrl() + "/switchover"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new ClusterException("switchover to " + candidate + " refused: HTTP " + response.statusCode() + " " + response.body());
            }
        } catch (IOException e) {
            throw new ClusterException("switchover to " + candidate + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted during a switchover", e);
        }
    }

    /** Kills a member's postmaster and every server process with SIGKILL; its Patroni agent sees it at its next loop. */
    public void killPostmaster(String member) {
        serverProcesses(member).forEach(ProcessHandle::destroyForcibly);
    }

    /** Stops a member's Patroni agent with SIGKILL, as a crashed agent: its PostgreSQL server, if any, keeps running. */
    public void stopAgent(String member) {
        Agent a = agent(member);
        if (a.process != null) {
            a.process.destroyForcibly();
            awaitCondition("the agent of " + member + " to exit", Duration.ofSeconds(30), () -> !Processes.isAlive(a.process));
        }
    }

    /** Starts a stopped agent again; Patroni rejoins the member (pg_rewind when it was the old leader). */
    public void startAgent(String member) {
        Agent a = agent(member);
        if (isRunning(a.process)) {
            return;
        }
        startAgent(a);
    }

    /** Freezes a member's server (SIGSTOP): TCP is still accepted, nothing answers. {@link #thaw} undoes it. */
    public void freeze(String member) {
        signal("STOP", serverProcesses(member));
    }

    /** Resumes a frozen member's server (SIGCONT). */
    public void thaw(String member) {
        signal("CONT", serverProcesses(member));
    }

    /** The postmaster of a member and its children (Patroni starts it in a session of its own: it is no child of the agent). */
    List<ProcessHandle> serverProcesses(String member) {
        Path pidFile = agent(member).dataDirectory.resolve("postmaster.pid");
        try {
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
            Optional<ProcessHandle> postmaster = ProcessHandle.of(pid).filter(Processes::isAlive);
            if (postmaster.isEmpty()) {
                return List.of();
            }
            List<ProcessHandle> processes = new ArrayList<>(postmaster.get().descendants().toList());
            processes.add(postmaster.get());
            return processes;
        } catch (IOException | RuntimeException e) {
            return List.of(); // no server runs
        }
    }

    private static void signal(String signal, List<ProcessHandle> processes) {
        if (!processes.isEmpty()) {
            List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
            processes.forEach(p -> command.add(Long.toString(p.pid())));
            Processes.run(command, Duration.ofSeconds(30));
        }
    }

    private Agent agent(String member) {
        return agents.stream().filter(a -> a.name.equals(member)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no member " + member + "; members are " + agents.stream().map(a -> a.name).toList()));
    }

    /** The last lines of every member's log, for messages when something does not come up. */
    private String logTails() {
        StringBuilder sb = new StringBuilder();
        for (Agent a : agents) {
            try {
                List<String> lines = Files.exists(a.log) ? Files.readAllLines(a.log) : List.of();
                sb.append("\n--- ").append(a.name).append(" (").append(a.log).append(")\n");
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
            } catch (IOException e) {
                sb.append("\n--- ").append(a.name).append(": cannot read its log: ").append(e.getMessage());
            }
        }
        return sb.toString();
    }

    /**
     * Stops every agent (each stops its server: the replicas first, the leader last, so that no replica
     * takes over while the others stop), then anything left: servers whose agent was killed, frozen ones,
     * etcd. A detached cluster keeps its data and remembers the leader, which leads again at the next
     * start; a throw-away one deletes its folder, as {@link #close()}.
     */
    public synchronized void stop() {
        if (!detached) {
            close();
            return;
        }
        String leader = null;
        try {
            leader = isRunning(etcd) ? members().stream().filter(Member::isLeader).map(Member::name).findFirst().orElse(null) : null;
        } catch (ClusterException noneAnswers) {
            // the agents are stopped or dead: nothing to order
        }
        stopProcesses(leader);
        if (leader != null) {
            Properties state = readState();
            state.setProperty("last_leader", leader);
            writeState(state);
        }
    }

    /** The agents (the leader last), servers left behind, etcd; removes the pid files. */
    private void stopProcesses(String leader) {
        agents.forEach(a -> signal("CONT", serverProcesses(a.name)));
        List<Agent> order = new ArrayList<>(agents.stream().filter(a -> !a.name.equals(leader)).toList());
        agents.stream().filter(a -> a.name.equals(leader)).forEach(order::add);
        List<Agent> followers = order.subList(0, leader == null ? order.size() : order.size() - 1);
        followers.stream().filter(a -> a.process != null).forEach(a -> a.process.destroy());
        followers.stream().filter(a -> a.process != null).forEach(a -> awaitOrKill(a.process, Duration.ofSeconds(30)));
        if (leader != null) {
            Agent last = agent(leader);
            if (last.process != null) {
                last.process.destroy();
                awaitOrKill(last.process, Duration.ofSeconds(30));
            }
        }
        for (Agent a : agents) {
            List<ProcessHandle> left = serverProcesses(a.name);
            left.forEach(ProcessHandle::destroyForcibly);
            left.forEach(p -> awaitCondition("server process " + p.pid() + " to exit", Duration.ofSeconds(30), () -> !Processes.isAlive(p)));
            a.process = null;
        }
        if (etcd != null) {
            etcd.destroy();
            awaitOrKill(etcd, Duration.ofSeconds(10));
            etcd = null;
        }
        try {
            Files.deleteIfExists(pidFile("etcd"));
            for (Agent a : agents) {
                Files.deleteIfExists(pidFile(a.name));
            }
        } catch (IOException e) {
            LOG.warn("cannot delete the pid files in {}: {}", root, e.getMessage());
        }
    }

    /**
     * Throw-away: stops every process and deletes the folder. Detached: the same as {@link #stop()}, the data
     * kept (a command that hands the cluster on, as {@code fortress cluster start --ha}, does not close it).
     */
    @Override
    public synchronized void close() {
        if (detached) {
            stop();
            return;
        }
        if (closed) {
            return;
        }
        closed = true;
        stopProcesses(null);
        try {
            LocalCluster.deleteTree(root);
        } catch (RuntimeException e) {
            LOG.warn("cannot delete {}: {}", root, e.getMessage());
        }
        stopWatchdog();
    }

    private void stopWatchdog() {
        if (watchdog != null) {
            watchdog.destroyForcibly();
            try {
                watchdog.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            watchdog = null;
        }
    }

    /** SIGTERM, then SIGKILL after {@code timeout}; the process need not be this JVM's child. */
    private static void awaitOrKill(ProcessHandle process, Duration timeout) {
        if (!awaitExit(process, timeout)) {
            process.destroyForcibly();
            awaitExit(process, Duration.ofSeconds(10));
        }
    }

    private static boolean awaitExit(ProcessHandle process, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Processes.isAlive(process)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !Processes.isAlive(process);
            }
        }
        return true;
    }

    private Optional<String> get(String url) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static void awaitCondition(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new ClusterException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterException("interrupted while waiting for " + what, e);
            }
        }
    }

    private static String randomSecret() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Settings of a cluster to start. */
    public static final class Builder {
        private int members = 3;
        private String database = "fortress";
        private boolean synchronousMode;
        private Path dataDirectory;
        private final Map<String, Map<String, Object>> tags = new LinkedHashMap<>();

        private Builder() {
        }

        /** How many members (1 to 5); the default is 3. */
        public Builder members(int members) {
            if (members < 1 || members > 5) {
                throw new IllegalArgumentException("members must be 1 to 5, not " + members);
            }
            this.members = members;
            return this;
        }

        /** The database created on the leader once the cluster is up. */
        public Builder database(String database) {
            this.database = database;
            return this;
        }

        /** Patroni's {@code synchronous_mode}: a commit is acknowledged once a synchronous standby has it. */
        public Builder synchronousMode(boolean on) {
            this.synchronousMode = on;
            return this;
        }

        /** Patroni tags of one member ({@code member-1}, ...), e.g. {@code noloadbalance: true}. */
        public Builder tags(String member, Map<String, Object> memberTags) {
            tags.put(member, Map.copyOf(memberTags));
            return this;
        }

        /**
         * Makes the cluster detached: kept in {@code directory} (created, or empty), its processes outliving
         * this JVM until {@link PatroniCluster#stop()}; later JVMs find it with {@link PatroniCluster#inspect(Path)}.
         * PostgreSQL keeps fsync on here; a throw-away cluster runs with fsync off.
         */
        public Builder dataDirectory(Path directory) {
            this.dataDirectory = directory;
            return this;
        }

        /** Starts etcd and every member, and returns once all stream from an elected leader. */
        public PatroniCluster start() {
            PatroniCluster cluster = new PatroniCluster(this);
            cluster.start();
            return cluster;
        }
    }
}
