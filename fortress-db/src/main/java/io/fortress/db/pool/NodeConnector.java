package io.fortress.db.pool;

import io.fortress.db.DbConfig;
import io.fortress.db.HostAndPort;
import io.fortress.db.PasswordSource;
import io.fortress.db.SslMode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.Driver;

/**
 * Opens the physical connections of one node, for its HikariCP pool and for probes.
 *
 * <p>Every connection gets the node's login (the password is asked of the {@link PasswordSource}
 * anew, so a rotated password file applies to new connections), TLS settings, timeouts and session
 * settings (statement_timeout; default_transaction_read_only on replicas). The JDBC URL holds no
 * credentials. Pooled connections are wrapped so that their closing can be attributed to a cause.
 */
public final class NodeConnector extends BaseDataSource {
    private static final Driver DRIVER = new Driver();

    private final HostAndPort address;
    private final String url;
    private final String user;
    private final PasswordSource password;
    private final Properties settings;
    private volatile CloseListener closeListener;

    /** Told when a pooled connection closes, with its age and how long it had been unused. */
    interface CloseListener {
        void closed(long ageNanos, long idleNanos);
    }

    NodeConnector(String nodeName, HostAndPort address, boolean replica, DbConfig config) {
        super("connections of " + nodeName);
        this.address = address;
        this.url = "jdbc:postgresql://" + address + "/" + config.database();
        this.user = replica ? config.replicaUser() : config.user();
        this.password = replica ? config.replicaPasswordSource() : config.passwordSource();
        this.settings = driverSettings(config, replica);
    }

    private static Properties driverSettings(DbConfig config, boolean replica) {
        Properties p = new Properties();
        long connectSeconds = Math.max(1, (config.connectTimeout().toMillis() + 999) / 1000);
        p.setProperty("connectTimeout", Long.toString(connectSeconds));
        p.setProperty("loginTimeout", Long.toString(connectSeconds));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("ApplicationName", config.applicationName());
        SslMode ssl = config.sslMode();
        p.setProperty("sslmode", ssl.value());
        config.sslRootCert().ifPresent(f -> p.setProperty("sslrootcert", f.toString()));
        config.sslCert().ifPresent(f -> p.setProperty("sslcert", f.toString()));
        config.sslKey().ifPresent(f -> p.setProperty("sslkey", f.toString()));
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
     * A new physical connection outside the pool, for health checks: connect, login and socket
     * timeouts and the server's statement_timeout and lock_timeout all bounded by {@code timeout}. The
     * caller closes it.
     */
    public Connection openDedicated(java.time.Duration timeout, String purpose) throws SQLException {
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        Properties p = loginSettings();
        p.setProperty("connectTimeout", Long.toString(seconds));
        p.setProperty("loginTimeout", Long.toString(seconds));
        p.setProperty("socketTimeout", Long.toString(seconds + 1));
        p.setProperty("ApplicationName", settings.getProperty("ApplicationName") + " " + purpose);
        Connection c = connect(url, p);
        try (java.sql.Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = " + timeout.toMillis() + "; SET lock_timeout = " + timeout.toMillis());
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    /**
     * A new connection outside the pool to another database of this node (a restore target, a scratch
     * database), with the same login, TLS and timeouts; the caller closes it.
     */
    public Connection openTo(String database, String purpose) throws SQLException {
        Properties p = loginSettings();
        p.setProperty("ApplicationName", settings.getProperty("ApplicationName") + " " + purpose);
        String otherUrl = "jdbc:postgresql://" + address + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
        return connect(otherUrl, p);
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection physical = connect(url, loginSettings());
        CloseListener listener = closeListener;
        return listener == null ? physical : track(physical, listener);
    }

    private Properties loginSettings() {
        Properties p = new Properties();
        p.putAll(settings);
        p.setProperty("user", user);
        password.current().ifPresent(secret -> p.setProperty("password", secret.reveal()));
        return p;
    }

    private static Connection connect(String url, Properties p) throws SQLException {
        Connection c = DRIVER.connect(url, p);
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

    private static Connection track(Connection physical, CloseListener listener) {
        return new TrackedConnection(physical, listener::closed);
    }
}
