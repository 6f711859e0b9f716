package io.fortress.db.internal.pool;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.SslMode;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.postgresql.Driver;

/**
 * Opens the physical connections of one node, for its HikariCP pool and for probes.
 *
 * <p>Every connection gets the node's login (the password is asked of the {@link PasswordSource}
 * anew, so a rotated password file applies to new connections), TLS settings, timeouts and session
 * settings (statement_timeout; default_transaction_read_only on replicas). The JDBC URL holds no
 * credentials. Pooled connections are wrapped so that their closing can be attributed to a cause, and
 * are kept track of so that they can be aborted when the node is found hung or gone.
 *
 * <p>Behind PgBouncer in transaction pooling mode (DB_POOLER) a connection is a session of the pooler,
 * not of the server: nothing is set per session (no startup options, no SET), statements stay unnamed
 * ({@code prepareThreshold=0}), and work that needs a session of the server itself (migrations,
 * backups, other databases) connects to the node's DB_DIRECT_HOSTS address instead.
 *
 * <p>While the node is known down, the pool's connection requests wait at a gate instead of failing:
 * HikariCP backs off for up to 5 s after each failed attempt, so a request failing all through an
 * outage would still be asleep when the node returns. Once the health checker sees the node answer
 * again it opens the gate and the waiting request connects at once.
 */
public final class NodeConnector extends BaseDataSource {
    private static final Driver DRIVER = new Driver();
    /** Runs a connection's abort on the caller's thread: pgjdbc's abort only closes the socket, without locks. */
    private static final Executor DIRECT = Runnable::run;

    private final HostAndPort address;
    private final HostAndPort direct; // null behind a pooler without DB_DIRECT_HOSTS
    private final boolean behindPooler;
    private final String url;
    private final String user;
    private final PasswordSource password;
    private final Properties settings;
    private volatile CloseListener closeListener;
    private final Set<TrackedConnection> open = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private boolean gateClosed; // guarded by gate
    private boolean shutDown; // guarded by gate

    /** Told when a pooled connection closes (or is found aborted), with its age and how long it had been unused. */
    interface CloseListener {
        void closed(long ageNanos, long idleNanos);
    }

    NodeConnector(String nodeName, HostAndPort address, boolean replica, DbConfig config) {
        super("connections of " + nodeName);
        this.address = address;
        this.direct = config.directAddress(address).orElse(null);
        this.behindPooler = config.behindPooler();
        this.url = "jdbc:postgresql://" + address + "/" + config.database();
        this.user = replica ? config.replicaUser() : config.user();
        this.password = replica ? PasswordSource.replica(config) : PasswordSource.primary(config);
        this.settings = driverSettings(config, replica);
    }

    private static Properties driverSettings(DbConfig config, boolean replica) {
        Properties p = new Properties();
        long connectSeconds = Math.max(1, (config.connectTimeout().toMillis() + 999) / 1000);
        p.setProperty("connectTimeout", Long.toString(connectSeconds));
        p.setProperty("loginTimeout", Long.toString(connectSeconds));
        p.setProperty("tcpKeepAlive", "true");
        // the last-resort bound of a read on a socket that no longer answers; 0 leaves it unbounded
        p.setProperty("socketTimeout", Long.toString((config.socketTimeout().toMillis() + 999) / 1000));
        p.setProperty("ApplicationName", config.applicationName());
        // a cancel request (a hedged read's losing attempt) to a node that accepts but never answers blocks its
        // sender this long (whole seconds; pgjdbc's default is 10); the attempt is aborted long before
        p.setProperty("cancelSignalTimeout", "2");
        SslMode ssl = config.sslMode();
        p.setProperty("sslmode", ssl.value());
        config.sslRootCert().ifPresent(f -> p.setProperty("sslrootcert", f.toString()));
        config.sslCert().ifPresent(f -> p.setProperty("sslcert", f.toString()));
        config.sslKey().ifPresent(f -> p.setProperty("sslkey", f.toString()));
        if (config.behindPooler()) {
            // A statement prepared on one server connection is unknown on the next (PgBouncer 1.18 has no
            // protocol-level prepared statements); unnamed ones live for one round trip only.
            p.setProperty("prepareThreshold", "0");
            // application_name and extra_float_digits in the startup packet, not as SET commands on
            // whichever server connection the pooler lends (PgBouncer must ignore extra_float_digits)
            p.setProperty("assumeMinServerVersion", "9.0");
            // no startup options: PgBouncer refuses them, and the replicas' read-only guard is per transaction
            return p;
        }
        StringBuilder options = new StringBuilder();
        if (!config.statementTimeout().isZero()) {
            options.append("-c statement_timeout=").append(config.statementTimeout().toMillis());
        }
        if (replica) {
            // A write sent to a replica by mistake fails loudly (25006) and is re-sent to the primary.
            options.append(options.isEmpty() ? "" : " ").append("-c default_transaction_read_only=on");
        }
        if (!options.isEmpty()) {
            p.setProperty("options", options.toString());
        }
        return p;
    }

    void onClose(CloseListener listener) {
        this.closeListener = listener;
    }

    /**
     * A new physical connection outside the pool, for health checks: the connection, login and every
     * later read on the socket, and the server's statement_timeout and lock_timeout, all bounded by
     * {@code timeout} (connect and login in whole seconds, rounded up). The caller closes it.
     */
    public Connection openDedicated(Duration timeout, String purpose) throws SQLException {
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        Properties p = loginSettings();
        p.setProperty("connectTimeout", Long.toString(seconds));
        p.setProperty("loginTimeout", Long.toString(seconds));
        p.setProperty("socketTimeout", Long.toString(seconds));
        p.setProperty("ApplicationName", settings.getProperty("ApplicationName") + " " + purpose);
        Connection c = connect(url, p);
        try {
            applyTimeout(c, timeout);
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Bounds every later read on the socket of a dedicated connection, and the server's statement and
     * lock waits, by {@code timeout}. Behind a pooler only the socket is bounded: a SET would stay on
     * whichever server connection ran it.
     */
    public void applyTimeout(Connection c, Duration timeout) throws SQLException {
        c.setNetworkTimeout(DIRECT, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        if (behindPooler) {
            return;
        }
        try (java.sql.Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = " + timeout.toMillis() + "; SET lock_timeout = " + timeout.toMillis());
        }
    }

    /**
     * A new session of this node's server outside the pool, to any of its databases (migrations, a
     * restore target, a scratch database), with the same login, TLS and timeouts; behind a pooler at the
     * node's direct address. The caller closes it.
     *
     * @throws SQLException (SQLSTATE 0A000) behind a pooler when DB_DIRECT_HOSTS is not set
     */
    public Connection openTo(String database, String purpose) throws SQLException {
        HostAndPort server = directAddress(purpose);
        Properties p = loginSettings();
        p.setProperty("ApplicationName", settings.getProperty("ApplicationName") + " " + purpose);
        String otherUrl = "jdbc:postgresql://" + server + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
        return connect(otherUrl, p);
    }

    /**
     * The server's own address: the node's address, or behind a pooler its DB_DIRECT_HOSTS entry.
     *
     * @throws SQLException (SQLSTATE 0A000) behind a pooler when DB_DIRECT_HOSTS is not set
     */
    public HostAndPort directAddress(String purpose) throws SQLException {
        if (direct == null) {
            throw new SQLException(purpose + " needs a session of the server itself, which PgBouncer in transaction pooling mode "
                    + "(DB_POOLER) does not give: set DB_DIRECT_HOSTS to the servers' own addresses (those behind DB_HOST's "
                    + "PgBouncers first, then DB_REPLICA_HOSTS')", "0A000");
        }
        return direct;
    }

    /** A new pooled connection; waits while the node is known down (see the class comment). */
    @Override
    public Connection getConnection() throws SQLException {
        awaitGate();
        Connection physical = connect(url, loginSettings());
        CloseListener listener = closeListener;
        if (listener == null) {
            return physical;
        }
        TrackedConnection tracked = new TrackedConnection(physical, (c, ageNanos, idleNanos) -> {
            open.remove(c);
            listener.closed(ageNanos, idleNanos);
        }, behindPooler);
        open.add(tracked);
        return tracked;
    }

    private void awaitGate() throws SQLException {
        synchronized (gate) {
            try {
                while (gateClosed && !shutDown) {
                    gate.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while the node is down", "08001", e);
            }
            if (shutDown) {
                throw new SQLException("the pool is closing", "08003");
            }
        }
    }

    /** The pooled connections open now. */
    Set<TrackedConnection> openConnections() {
        return java.util.Collections.unmodifiableSet(open);
    }

    /** The node is known down: new pooled connections wait until {@link #reopen()}. */
    void holdWhileDown() {
        synchronized (gate) {
            gateClosed = true;
        }
    }

    /** The node answers again: pooled connections may be opened. */
    void reopen() {
        synchronized (gate) {
            gateClosed = false;
            gate.notifyAll();
        }
    }

    /** The pool is closing: nothing waits at the gate any more, and no pooled connection is opened. */
    void shutDown() {
        synchronized (gate) {
            shutDown = true;
            gate.notifyAll();
        }
    }

    /**
     * Aborts every open pooled connection: their sockets close at once, so statements blocked on a
     * node that no longer answers fail now (SQLSTATE 08006) instead of waiting for it.
     */
    void abortAll() {
        for (TrackedConnection c : open) {
            try {
                c.abort(DIRECT);
            } catch (SQLException e) {
                // already closed: nothing to abort
            }
        }
    }

    private Properties loginSettings() {
        Properties p = new Properties();
        p.putAll(settings);
        p.setProperty("user", user);
        password.current().ifPresent(secret -> p.setProperty("password", secret.reveal()));
        return p;
    }

    private Connection connect(String url, Properties p) throws SQLException {
        Connection c;
        try {
            c = DRIVER.connect(url, p);
        } catch (SQLException e) {
            String message = e.getMessage();
            if (behindPooler && message != null && message.contains("unsupported startup parameter")) {
                throw new SQLException(message + "; PgBouncer must ignore the parameters pgjdbc sends: add "
                        + "ignore_startup_parameters = extra_float_digits to pgbouncer.ini", e.getSQLState(), e);
            }
            throw e;
        }
        if (c == null) {
            throw new SQLException("the PostgreSQL driver does not accept " + url);
        }
        return c;
    }

    /** HikariCP waits this long for connection attempts in progress when the pool closes: briefly, so stops stay quick. */
    @Override
    public int getLoginTimeout() {
        return Math.min(2, Integer.parseInt(settings.getProperty("loginTimeout")));
    }
}
