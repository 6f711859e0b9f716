package io.fortress.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * frozen server. {@link #close()} ends every process it started and deletes the data.
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

    private final Path root;
    private final ServerUser user;
    private final PgBinaries binaries;
    private final String database;
    private final String password = randomSecret();
    private final String replicationPassword = randomSecret();
    private final boolean synchronousMode;
    private final List<Agent> agents = new ArrayList<>();
    private final int etcdPort = LocalCluster.freePort();
    private final int etcdPeerPort = LocalCluster.freePort();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process etcd;
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

    /** One Patroni agent this class runs: its ports, folders and process. */
    private static final class Agent {
        final String name;
        final int pgPort = LocalCluster.freePort();
        final int restPort = LocalCluster.freePort();
        final Map<String, Object> tags;
        final Path config;
        final Path dataDirectory;
        final Path log;
        Process process;

        Agent(String name, Path root, Map<String, Object> tags) {
            this.name = name;
            this.tags = Map.copyOf(tags);
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
        try {
            this.root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "fortress-patroni-");
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new ClusterException("cannot create the cluster folder: " + e.getMessage(), e);
        }
        for (int i = 1; i <= b.members; i++) {
            String name = "member-" + i;
            agents.add(new Agent(name, root, b.tags.getOrDefault(name, Map.of())));
        }
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
            startEtcd();
            for (Agent a : agents) {
                writeConfig(a);
                startAgent(a);
            }
            awaitStreaming(START_TIMEOUT);
            try (Connection c = connect(leader().name(), "postgres"); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + LocalCluster.quoteIdentifier(database));
            }
            awaitStreaming(START_TIMEOUT);
        } catch (RuntimeException | SQLException e) {
            String logs = logTails();
            close();
            throw new ClusterException("the Patroni cluster did not come up: " + e.getMessage() + logs, e);
        }
        LOG.info("Patroni cluster of {} members up in {} ms in {}", agents.size(), (System.nanoTime() - started) / 1_000_000, root);
    }

    private void startEtcd() {
        Path dir = root.resolve("etcd");
        String client = "http://" + Node.HOST + ":" + etcdPort;
        String peer = "http://" + Node.HOST + ":" + etcdPeerPort;
        etcd = launch(List.of("etcd", "--name", "etcd-1", "--data-dir", dir.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "etcd-1=" + peer, "--initial-cluster-state", "new"), root.resolve("etcd.log"));
        awaitCondition("etcd to answer on " + client, Duration.ofSeconds(30), () -> get(client + "/health").map(b -> b.contains("true")).orElse(false));
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
                        max_replication_slots: 10
                        fsync: 'off'
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
        a.process = launch(List.of("patroni", a.config.toString()), a.log);
    }

    private Process launch(List<String> command, Path log) {
        ProcessBuilder builder = new ProcessBuilder(user.exec(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Processes.scrubEnvironment(builder.environment());
        builder.environment().put("HOME", root.toString());
        try {
            return builder.start();
        } catch (IOException e) {
            throw new ClusterException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
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
     * Waits until Patroni lists a running leader and every other member streams from it (one
     * {@code pg_stat_replication} row each) with nothing left to replay.
     */
    public void awaitStreaming(Duration timeout) {
        awaitCondition("every member to stream from the leader", timeout, () -> {
            try {
                List<Member> members = members();
                Optional<Member> leader = members.stream().filter(m -> m.isLeader() && "running".equals(m.state())).findFirst();
                if (leader.isEmpty() || members.size() < agents.size()) {
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
            awaitCondition("the agent of " + member + " to exit", Duration.ofSeconds(30), () -> !a.process.isAlive());
        }
    }

    /** Starts a stopped agent again; Patroni rejoins the member (pg_rewind when it was the old leader). */
    public void startAgent(String member) {
        Agent a = agent(member);
        if (a.process != null && a.process.isAlive()) {
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

    private List<ProcessHandle> serverProcesses(String member) {
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
     * Stops every agent (each stops its server), then anything left: servers whose agent was killed,
     * frozen ones, etcd; deletes the folder.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        agents.forEach(a -> signal("CONT", serverProcesses(a.name)));
        agents.stream().filter(a -> a.process != null).forEach(a -> a.process.destroy());
        for (Agent a : agents) {
            if (a.process != null) {
                awaitOrKill(a.process, Duration.ofSeconds(30));
            }
        }
        for (Agent a : agents) {
            List<ProcessHandle> left = serverProcesses(a.name);
            left.forEach(ProcessHandle::destroyForcibly);
            left.forEach(p -> awaitCondition("server process " + p.pid() + " to exit", Duration.ofSeconds(30), () -> !Processes.isAlive(p)));
        }
        if (etcd != null) {
            etcd.destroy();
            awaitOrKill(etcd, Duration.ofSeconds(10));
        }
        try {
            LocalCluster.deleteTree(root);
        } catch (RuntimeException e) {
            LOG.warn("cannot delete {}: {}", root, e.getMessage());
        }
    }

    private static void awaitOrKill(Process process, Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
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

        /** Starts etcd and every member, and returns once all stream from an elected leader. */
        public PatroniCluster start() {
            PatroniCluster cluster = new PatroniCluster(this);
            cluster.start();
            return cluster;
        }
    }
}
