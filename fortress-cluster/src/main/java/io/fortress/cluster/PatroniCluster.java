package io.fortress.cluster;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** The cluster's name in the DCS (Patroni's {@code scope}). */
    public static final String SCOPE = "fortress";

    private final Path root;
    private final boolean detached;
    private final ServerUser user;
    private final PgBinaries binaries;
    private final String database;
    private final String password;
    private final PatroniProcesses processes;
    private final PatroniRest rest = new PatroniRest();
    private final PatroniConfig config;
    private final PatroniView view;
    private Watchdog watchdog;
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

    private PatroniCluster(Builder b) {
        this.user = ServerUser.detect();
        this.binaries = PgBinaries.locate();
        this.database = b.database;
        this.detached = b.dataDirectory != null;
        this.password = ClusterState.generatePassword();
        this.root = PatroniState.createFolder(b.dataDirectory);
        this.processes = PatroniProcesses.create(root, b.members, b.tags, detached, user);
        this.config = new PatroniConfig(root, processes.etcd.port, b.synchronousMode, detached, password, ClusterState.generatePassword(), user);
        this.view = new PatroniView(rest, processes, password);
    }

    /** A detached cluster as its folder describes it; nothing is started. */
    private PatroniCluster(Path root, PatroniState state) {
        this.user = ServerUser.detect();
        this.binaries = null; // only written into the configuration at creation
        this.root = root;
        this.detached = true;
        this.database = state.required("database");
        this.password = state.required("password");
        Etcd etcd = new Etcd(root, state.requiredInt("etcd.port"), state.requiredInt("etcd.peer_port"));
        this.processes = new PatroniProcesses(root, etcd, state.members(), true, user);
        this.config = new PatroniConfig(root, etcd.port, Boolean.parseBoolean(state.required("synchronous_mode")), true, password,
                state.required("replication_password"), user);
        this.view = new PatroniView(rest, processes, password);
    }

    /** True when {@code directory} holds a detached cluster made by {@link Builder#dataDirectory(Path)}. */
    public static boolean exists(Path directory) {
        return PatroniState.exists(directory);
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
        return new PatroniCluster(root, PatroniState.read(root));
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
                config.writeDetachedFiles(database, processes);
            } else {
                watchdog = Watchdog.start(Watchdog.PATRONI_SCRIPT, "fortress-patroni-watchdog", List.of(root.toString()));
            }
            processes.startEtcd(rest);
            for (PatroniMember m : processes.members) {
                config.write(m, binaries.binDir());
                processes.startAgent(m);
            }
            view.awaitStreaming(START_TIMEOUT, true);
            try (Connection c = view.connect(leader().name(), "postgres"); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + LocalCluster.quoteIdentifier(database));
            }
            view.awaitStreaming(START_TIMEOUT, true);
        } catch (RuntimeException | SQLException e) {
            String logs = processes.logTails();
            discard(); // nothing of value yet: a detached cluster's new folder goes too, so that a retry starts afresh
            throw new ClusterException("the Patroni cluster did not come up: " + e.getMessage() + logs, e);
        }
        LOG.info("Patroni cluster of {} members up in {} ms in {}", processes.members.size(), (System.nanoTime() - started) / 1_000_000, root);
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
        try {
            boolean startedSomething = processes.startStopped(rest, view, PatroniState.read(root).get("last_leader", ""), START_TIMEOUT);
            view.awaitStreaming(START_TIMEOUT, true);
            return startedSomething;
        } catch (RuntimeException e) {
            throw new ClusterException("the Patroni cluster in " + root + " did not come up: " + e.getMessage()
                    + "; what started is left running (bin/fortress cluster stop ends it)" + processes.logTails(), e);
        }
    }

    /** etcd's client URL, e.g. {@code http://127.0.0.1:2379}. */
    public String etcdUrl() {
        return processes.etcd.url();
    }

    /** The REST API address of every member, e.g. {@code http://127.0.0.1:41234}. */
    public List<String> restUrls() {
        return processes.members.stream().map(PatroniMember::restUrl).toList();
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
        return config.passwordFile();
    }

    /** The configuration to give patronictl ({@code patronictl -c <file> list}); a detached cluster's only. */
    public Path patronictlConfig() {
        return config.patronictlFile();
    }

    /** The names of the members ({@code member-1}, ...), whether or not they run. */
    public List<String> memberNames() {
        return processes.names();
    }

    /** The REST API address of one member. */
    public String restUrl(String member) {
        return processes.member(member).restUrl();
    }

    /** etcd, then every agent, each with its pid (0 when it never ran) and whether it runs now. */
    public List<Daemon> daemons() {
        return processes.daemons();
    }

    /** True while etcd and every agent run. */
    public boolean isRunning() {
        return daemons().stream().allMatch(Daemon::running);
    }

    /** True while etcd or any agent, or a server an agent left behind, runs. */
    public boolean isAnyRunning() {
        return processes.isAnyRunning();
    }

    /** Every member as {@code GET /cluster} on the first REST API that answers lists it. */
    public List<Member> members() {
        return view.members();
    }

    /**
     * What {@code patronictl list -f json} prints for this cluster (one map per member, with patronictl's
     * keys: Member, Host, Role, State, TL, Lag in MB, Tags), read through etcd rather than a REST API.
     */
    public List<Map<String, Object>> patronictlList() {
        return PatroniRest.parsePatronictlList(Processes.runChecked(
                List.of("patronictl", "-c", processes.members.get(0).config.toString(), "list", "-f", "json"), Duration.ofSeconds(30)));
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
        return view.awaitMember(condition, what, timeout);
    }

    /**
     * Waits until Patroni lists a running leader and every other member running, and every other member
     * streams from the leader (one {@code pg_stat_replication} row each) with nothing left to replay.
     */
    public void awaitStreaming(Duration timeout) {
        view.awaitStreaming(timeout, false);
    }

    /** The port a member's PostgreSQL server listens on. */
    public int port(String member) {
        return processes.member(member).pgPort;
    }

    /** A superuser connection to a member's server and the cluster's database. */
    public Connection connect(String member) throws SQLException {
        return view.connect(member, database);
    }


    /**
     * A planned switchover through the leader's REST API ({@code POST /switchover}): Patroni stops the
     * leader, promotes {@code candidate} and makes the old leader follow it. Returns once Patroni
     * reports it done.
     */
    public void switchover(String candidate) {
        Member leader = leader();
        rest.switchover(processes.member(leader.name()).restUrl(), leader.name(), candidate);
    }

    /** Kills a member's postmaster and every server process with SIGKILL; its Patroni agent sees it at its next loop. */
    public void killPostmaster(String member) {
        processes.member(member).postmaster.kill(false);
    }

    /** Stops a member's Patroni agent with SIGKILL, as a crashed agent: its PostgreSQL server, if any, keeps running. */
    public void stopAgent(String member) {
        processes.member(member).agent.killAlone();
    }

    /** Starts a stopped agent again; Patroni rejoins the member (pg_rewind when it was the old leader). */
    public void startAgent(String member) {
        PatroniMember m = processes.member(member);
        if (!m.agent.isAlive()) {
            processes.startAgent(m);
        }
    }

    /** Freezes a member's server (SIGSTOP): TCP is still accepted, nothing answers. {@link #thaw} undoes it. */
    public void freeze(String member) {
        processes.member(member).postmaster.freeze();
    }

    /** Resumes a frozen member's server (SIGCONT). */
    public void thaw(String member) {
        processes.member(member).postmaster.thaw();
    }

    /** The postmaster of a member and its children, while it runs postgres (a stale postmaster.pid may name another program). */
    List<ProcessHandle> serverProcesses(String member) {
        return processes.member(member).postmaster.processes();
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
        String leader = processes.etcd.process.isAlive() ? view.leaderIfAny() : null;
        processes.stopAll(leader);
        if (leader != null) {
            PatroniState.read(root).set("last_leader", leader).save(user);
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
        if (!closed) {
            discard();
        }
    }

    /** Stops every process, deletes the folder, then the watchdog goes. */
    private void discard() {
        closed = true;
        processes.stopAll(null);
        try {
            ClusterFiles.deleteTree(root);
        } catch (RuntimeException e) {
            LOG.warn("cannot delete {}: {}", root, e.getMessage());
        }
        if (watchdog != null) {
            watchdog.stop();
            watchdog = null;
        }
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
