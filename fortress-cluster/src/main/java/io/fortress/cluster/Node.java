package io.fortress.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * One PostgreSQL server of a {@link LocalCluster}: the primary or a streaming replica, listening on
 * 127.0.0.1 only. Operations block until the server is in the requested state.
 */
public final class Node {
    /** The only address a local cluster ever listens on. */
    public static final String HOST = "127.0.0.1";

    private final LocalCluster cluster;
    private final String name;
    private final Path dataDirectory;
    private volatile int port;
    private final ServerProcess postmaster;
    private volatile boolean frozen;

    Node(LocalCluster cluster, String name, Path dataDirectory, Path logFile, int port) {
        this.cluster = cluster;
        this.name = name;
        this.dataDirectory = dataDirectory;
        this.port = port;
        this.postmaster = ServerProcess.postmaster("node " + name, dataDirectory, logFile);
    }

    /** "primary", "replica-1", "replica-2", ... (the name the node was created with, whatever its role now). */
    public String name() {
        return name;
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    /** {@code host:port}, as the DB_REPLICA_HOSTS variable takes it. */
    public String address() {
        return HOST + ":" + port;
    }

    /** JDBC URL of the cluster's database on this node; carries no credentials. */
    public String jdbcUrl() {
        return jdbcUrl(cluster.database());
    }

    /** JDBC URL of the given database on this node; carries no credentials. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The server's log file (outside the data directory). */
    public Path logFile() {
        return postmaster.logFile();
    }

    /** True when the node is configured as a standby (it has not been promoted). */
    public boolean isStandby() {
        return Files.exists(dataDirectory.resolve("standby.signal"));
    }

    /** True while a postmaster for this data directory is alive. */
    public boolean isRunning() {
        return postmaster.isAlive();
    }

    /** Starts the server and waits until it accepts connections. A running node is left alone. */
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        cluster.config().writeNodeConfig(this, cluster.primary().port());
        pgCtl("start", "-D", dataDirectory.toString(), "-l", logFile().toString(), "-w", "-t", "120");
    }

    /** Stops the server cleanly (fast shutdown: sessions are ended, a checkpoint is written). */
    public synchronized void stop() {
        thaw();
        shutdown("fast");
    }

    /** Stops the server with an immediate shutdown, which leaves crash recovery for the next start. */
    public synchronized void stopImmediately() {
        thaw();
        shutdown("immediate");
    }

    /**
     * Freezes the server as a hung machine would: SIGSTOP to the postmaster and every server process.
     * The kernel still accepts TCP connections on its port, but nothing answers, and statements in
     * progress stall. {@link #thaw()} undoes it; stopping or killing the node, or the cluster, thaws
     * it first.
     */
    public synchronized void freeze() {
        frozen = true; // set first: a failure half-way still gets thawed
        if (!postmaster.freeze()) {
            frozen = false;
            throw new ClusterException("node " + name + " is not running: nothing to freeze");
        }
    }

    /** Resumes a frozen server (SIGCONT to the postmaster and every server process); does nothing otherwise. */
    public synchronized void thaw() {
        if (!frozen) {
            return;
        }
        postmaster.thaw();
        frozen = false;
    }

    /** True between {@link #freeze()} and {@link #thaw()}. */
    public boolean isFrozen() {
        return frozen;
    }

    /** Shuts down with pg_ctl in the given mode and returns once the postmaster process has exited. */
    private void shutdown(String mode) {
        Optional<ProcessHandle> process = postmaster.handle();
        if (process.isEmpty()) {
            return;
        }
        pgCtl("stop", "-D", dataDirectory.toString(), "-m", mode, "-w", "-t", "120");
        if (!ServerProcess.awaitExit(List.of(process.get()), Duration.ofSeconds(30))) {
            throw new ClusterException("the postmaster of node " + name + " did not exit after pg_ctl stop");
        }
    }

    private void pgCtl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(cluster.binaries().tool("pg_ctl"));
        command.addAll(List.of(args));
        Processes.runChecked(cluster.serverUser().command(command), Duration.ofMinutes(3));
    }

    /** Kills the postmaster and every server process with SIGKILL, as a machine crash would. */
    public synchronized void kill() {
        frozen = false; // SIGKILL ends stopped processes too
        postmaster.kill(true);
    }

    /** Stops (fast) and starts the server. */
    public synchronized void restart() {
        stop();
        start();
    }

    /** Pauses WAL replay on this standby; it keeps receiving WAL but applies none. */
    public void pauseReplay() {
        execute("SELECT pg_wal_replay_pause()");
    }

    /** Resumes WAL replay on this standby. */
    public void resumeReplay() {
        execute("SELECT pg_wal_replay_resume()");
    }

    /** Promotes this standby to a primary and waits until it accepts writes. */
    public void promote() {
        String promoted = queryValue("SELECT pg_promote(true, 60)");
        if (!"t".equals(promoted)) {
            throw new ClusterException("node " + name + " did not finish promotion within 60 s");
        }
    }

    /**
     * Points this standby's WAL receiver at another port on 127.0.0.1 (a new primary, or a dead port to
     * cut replication) and reloads the configuration; takes effect without a restart.
     */
    public void followPort(int upstreamPort) {
        String conninfo = cluster.config().primaryConninfo(this, upstreamPort);
        execute("ALTER SYSTEM SET primary_conninfo = '" + conninfo.replace("'", "''") + "'");
        execute("SELECT pg_reload_conf()");
    }

    /** Opens a connection to the cluster's database as the cluster's superuser. */
    public Connection connect() throws SQLException {
        return connect(cluster.database());
    }

    /** Opens a connection to the given database as the cluster's superuser. */
    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", cluster.superuser());
        props.setProperty("password", cluster.password());
        props.setProperty("connectTimeout", "10");
        props.setProperty("sslmode", "disable");
        props.setProperty("ApplicationName", "fortress-cluster");
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    /** Runs SQL (one or more statements) on the cluster's database as the superuser. */
    public void execute(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new ClusterException("SQL failed on node " + name + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row of a query, as text; null when there is no row or the value is NULL. */
    public String queryValue(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new ClusterException("SQL failed on node " + name + ": " + e.getMessage(), e);
        }
    }

    /** True when this primary lists {@code replica} as streaming in pg_stat_replication; false also when it cannot be asked. */
    boolean streamsTo(Node replica) {
        String sql = "SELECT count(*) FROM pg_stat_replication WHERE application_name = ? AND state = 'streaming'";
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, replica.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getInt(1) > 0;
            }
        } catch (SQLException e) {
            return false; // it may be starting
        }
    }

    /** Waits until this standby has replayed everything the primary had written when this was called. */
    public void awaitReplayOf(Node primary, Duration timeout) {
        String target = primary.queryValue("SELECT pg_current_wal_lsn()");
        String caughtUp = "SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn";
        if (!Poll.await(timeout, 20, () -> "t".equals(queryValue(caughtUp)))) {
            throw new ClusterException("node " + name + " did not replay up to " + target + " within " + timeout.toSeconds() + " s");
        }
    }

    /** The last lines of the server log, for error messages. */
    public String logTail(int lines) {
        return postmaster.logTail(lines);
    }

    /** The postmaster's pid while it runs postgres (a stale postmaster.pid may name a pid another program has since been given). */
    Optional<Long> postmasterPid() {
        return postmaster.pid();
    }

    void setPort(int port) {
        this.port = port;
    }

    static void sleep(long millis) {
        Poll.sleep(millis);
    }

    @Override
    public String toString() {
        return name + "@" + address();
    }
}
