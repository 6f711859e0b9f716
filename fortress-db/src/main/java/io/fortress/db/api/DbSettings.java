package io.fortress.db.api;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every setting of {@link DbConfig}, each defined once with its environment variable, default,
 * accepted values and meaning. docs/configuration.md lists the same table.
 */
public final class DbSettings {
    private DbSettings() {
    }

    // the numbers of the defaults derived from other settings; the rules themselves are stated once, with whenUnset below
    /** maxIdleConns when unset, unless maxOpenConns is smaller. */
    public static final int DEFAULT_MAX_IDLE_CONNS = 5;
    /** connMaxIdleTime when unset, unless half of connMaxLifetime is shorter. */
    public static final Duration DEFAULT_CONN_MAX_IDLE_TIME = Duration.ofMinutes(1);
    /** An unset socket timeout is the statement timeout plus this: the server's own cancel (57014) comes first. */
    public static final Duration DERIVED_SOCKET_MARGIN = Duration.ofSeconds(5);
    /** An unset health timeout is this, or the interval when that is shorter. */
    public static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(5);

    public static final Setting<String> HOST = Setting.of("host", "DB_HOST", "localhost", s -> s, DbSettings::validHostList,
            "a host or host:port, or a comma-separated list of them",
            "the primary; with several candidates (after a failover any of them may be the primary), the one that accepts "
                    + "writes on the newest timeline is used");
    public static final Setting<Integer> PORT = Setting.integer("port", "DB_PORT", 5432, 1, 65535,
            "TCP port of the primary, and of replicas listed without a port");
    public static final Setting<String> USER = Setting.text("user", "DB_USER", "postgres",
            "user the primary pool logs in as (and the replica pools, unless replicaUser is set)");
    public static final Setting<Secret> PASSWORD = Setting.secret("password", "PGPASSWORD",
            "password of user; never logged");
    public static final Setting<Path> PASSWORD_FILE = Setting.file("passwordFile", "DB_PASSWORD_FILE",
            "file holding the password (Docker/Kubernetes secrets); re-read for every new connection, so a rotated password "
                    + "takes effect without a restart; excludes password");
    public static final Setting<String> DATABASE = Setting.text("database", "DB_NAME", "fortress",
            "database to connect to");

    public static final Setting<Integer> MAX_OPEN_CONNS = Setting.integer("maxOpenConns", "DB_MAX_OPEN_CONNS", 25, 1, 10_000,
            "maximum connections per node (pool size of the primary and of each replica)");
    public static final Setting<Integer> MAX_IDLE_CONNS = Setting.integer("maxIdleConns", "DB_MAX_IDLE_CONNS", null, 0, 10_000,
            "idle connections each pool keeps open (HikariCP minimumIdle); at most maxOpenConns")
            .whenUnset("the smaller of " + DEFAULT_MAX_IDLE_CONNS + " and maxOpenConns",
                    c -> Math.min(DEFAULT_MAX_IDLE_CONNS, c.get(DbSettings.MAX_OPEN_CONNS)));
    public static final Setting<Duration> CONN_MAX_LIFETIME = Setting.duration("connMaxLifetime", "DB_CONN_MAX_LIFETIME",
            Duration.ofMinutes(5), d -> d.isZero() || d.compareTo(Duration.ofSeconds(30)) >= 0,
            "0 (no limit) or a duration of at least 30s (HikariCP's minimum)",
            "a connection is retired once it is this old (HikariCP retires each up to 25% earlier, to spread retirements)");
    public static final Setting<Duration> CONN_MAX_IDLE_TIME = Setting.duration("connMaxIdleTime", "DB_CONN_MAX_IDLE_TIME",
            null, d -> d.isZero() || d.compareTo(Duration.ofSeconds(10)) >= 0,
            "0 (never) or a duration of at least 10s (HikariCP's minimum)",
            "a connection idle this long is closed while the pool holds more than maxIdleConns idle connections")
            .whenUnset("the smaller of " + Durations.format(DEFAULT_CONN_MAX_IDLE_TIME) + " and half of connMaxLifetime ("
                    + Durations.format(DEFAULT_CONN_MAX_IDLE_TIME) + " when connMaxLifetime is 0)", c -> {
                        Duration lifetime = c.get(DbSettings.CONN_MAX_LIFETIME);
                        Duration half = lifetime.dividedBy(2);
                        return lifetime.isZero() || DEFAULT_CONN_MAX_IDLE_TIME.compareTo(half) <= 0 ? DEFAULT_CONN_MAX_IDLE_TIME : half;
                    });

    public static final Setting<List<String>> REPLICA_HOSTS = Setting.of("replicaHosts", "DB_REPLICA_HOSTS", List.of(),
            DbSettings::parseHosts, DbSettings::validHosts, "a comma-separated list of host or host:port ([ipv6]:port for IPv6)",
            "read replicas; reads are spread over them, writes never go there");
    public static final Setting<List<URI>> PATRONI_URLS = Setting.of("patroniUrls", "DB_PATRONI_URL", List.of(),
            DbSettings::parsePatroniUrls, urls -> urls.stream().allMatch(DbSettings::isPatroniUrl),
            "a comma-separated list of http:// or https:// URLs with host and port only",
            "Patroni members' REST APIs: the primary candidates and replicas are the members GET /cluster lists (asked on every "
                    + "health round, the next URL when one does not answer) instead of host and replicaHosts; the tag "
                    + "nofailover keeps a member from being written to, noloadbalance from being read from");
    public static final Setting<Pooler> POOLER = Setting.of("pooler", "DB_POOLER", Pooler.NONE, Pooler::parse, p -> true,
            "none or pgbouncer-transaction",
            "what host and replicaHosts point at: the servers themselves, or PgBouncer in transaction pooling mode in front of "
                    + "each (statements unnamed, no session state, the replicas' read-only guard per transaction; "
                    + "statementTimeout refused)");
    public static final Setting<List<String>> DIRECT_HOSTS = Setting.of("directHosts", "DB_DIRECT_HOSTS", List.of(),
            DbSettings::parseHosts, DbSettings::validHosts, "a comma-separated list of host:port ([ipv6]:port), one per entry of "
                    + "host then of replicaHosts, in the same order",
            "with pooler=pgbouncer-transaction, the servers' own addresses behind the PgBouncers, for the work that needs a "
                    + "session: migrations (their advisory lock), backups and restores (pg_dump, pg_restore), and so fortress "
                    + "serve; without it those are refused");
    public static final Setting<String> REPLICA_USER = Setting.text("replicaUser", "DB_REPLICA_USER", null,
            "user the replica pools log in as, e.g. a least-privilege read-only role").whenUnset("user", c -> c.get(DbSettings.USER));
    public static final Setting<Secret> REPLICA_PASSWORD = Setting.secret("replicaPassword", "DB_REPLICA_PASSWORD",
            "password of replicaUser; defaults to the primary's password when replicaUser is unset");
    public static final Setting<Path> REPLICA_PASSWORD_FILE = Setting.file("replicaPasswordFile", "DB_REPLICA_PASSWORD_FILE",
            "file holding replicaPassword, re-read for every new connection; excludes replicaPassword");

    public static final Setting<Duration> CONNECT_TIMEOUT = Setting.duration("connectTimeout", "DB_CONNECT_TIMEOUT",
            Duration.ofSeconds(10), d -> d.compareTo(Duration.ofSeconds(1)) >= 0 && d.compareTo(Duration.ofHours(1)) <= 0,
            "a duration from 1s to 1h (rounded up to whole seconds)",
            "longest time to open one connection (TCP connect, TLS and login); start-up fails if the primary is not "
                    + "reachable within it");
    public static final Setting<Duration> POOL_TIMEOUT = Setting.duration("poolTimeout", "DB_POOL_TIMEOUT",
            Duration.ofSeconds(30), d -> d.compareTo(Duration.ofMillis(250)) >= 0,
            "a duration of at least 250ms",
            "longest time a caller waits for a pooled connection before the call fails (HikariCP connectionTimeout)");
    public static final Setting<Duration> STATEMENT_TIMEOUT = Setting.serverTimeout("statementTimeout", "DB_STATEMENT_TIMEOUT",
            "server-side statement_timeout set on every pooled connection");
    public static final Setting<Duration> SOCKET_TIMEOUT = Setting.duration("socketTimeout", "DB_SOCKET_TIMEOUT", null,
            d -> d.isZero() || d.compareTo(Duration.ofSeconds(1)) >= 0 && d.compareTo(Duration.ofDays(1)) <= 0,
            "0 (none) or a duration from 1s to 24h (rounded up to whole seconds), longer than statementTimeout",
            "longest a pooled connection waits for the server to send anything before the statement fails (the driver's "
                    + "socketTimeout), the last resort against a server that stopped answering")
            .whenUnset("statementTimeout + " + Durations.format(DERIVED_SOCKET_MARGIN) + ", or none when statementTimeout is 0 (a "
                    + "hung node's statements are still aborted once the health checker finds it not answering)", c -> {
                        Duration statement = c.get(DbSettings.STATEMENT_TIMEOUT);
                        return statement.isZero() ? Duration.ZERO : statement.plus(DERIVED_SOCKET_MARGIN);
                    });

    public static final Setting<SslMode> SSL_MODE = Setting.of("sslMode", "DB_SSLMODE", SslMode.PREFER, SslMode::parse,
            m -> true, "one of " + SslMode.names(), "TLS for every connection, as libpq's sslmode");
    public static final Setting<Path> SSL_ROOT_CERT = Setting.file("sslRootCert", "DB_SSLROOTCERT",
            "PEM file of the certificate authorities trusted to sign the server's certificate (verify-ca, verify-full)");
    public static final Setting<Path> SSL_CERT = Setting.file("sslCert", "DB_SSLCERT",
            "PEM file of the client certificate, for certificate authentication; needs sslKey");
    public static final Setting<Path> SSL_KEY = Setting.file("sslKey", "DB_SSLKEY",
            "file of the client certificate's private key: unencrypted PKCS#8 DER (.pk8), or PKCS#12 (.p12, .pfx); needs sslCert");

    public static final Setting<Duration> SLOW_QUERY_THRESHOLD = Setting.duration("slowQueryThreshold", "DB_SLOW_QUERY_THRESHOLD",
            Duration.ofSeconds(1), d -> !d.isNegative(), "0 (off) or a positive duration",
            "statements taking at least this long are counted and logged as slow");
    public static final Setting<Boolean> LOG_QUERY_PARAMETERS = Setting.bool("logQueryParameters", "DB_LOG_QUERY_PARAMETERS", false,
            "show parameter values in slow-query logs; off by default, when only their number and types are logged");
    public static final Setting<String> APPLICATION_NAME = Setting.text("applicationName", "DB_APPLICATION_NAME", "fortress-db",
            "application_name of every connection, as shown in pg_stat_activity");

    public static final Setting<Duration> HEALTH_INTERVAL = Setting.duration("healthInterval", "DB_HEALTH_INTERVAL",
            Duration.ofSeconds(5), d -> d.compareTo(Duration.ofMillis(100)) >= 0, "a duration of at least 100ms",
            "how often every node is checked, each on a connection of its own outside the pools");
    public static final Setting<Duration> HEALTH_TIMEOUT = Setting.duration("healthTimeout", "DB_HEALTH_TIMEOUT", null,
            d -> d.compareTo(Duration.ofMillis(100)) >= 0 && d.compareTo(Duration.ofMinutes(10)) <= 0,
            "a duration from 100ms to 10m, at most healthInterval",
            "connect, socket and statement timeout of one check")
            .whenUnset("the smaller of " + Durations.format(DEFAULT_HEALTH_TIMEOUT) + " and healthInterval", c -> {
                Duration interval = c.get(DbSettings.HEALTH_INTERVAL);
                return DEFAULT_HEALTH_TIMEOUT.compareTo(interval) <= 0 ? DEFAULT_HEALTH_TIMEOUT : interval;
            });
    public static final Setting<Duration> HEALTH_FAST_INTERVAL = Setting.duration("healthFastInterval", "DB_HEALTH_FAST_INTERVAL",
            Duration.ofMillis(500), d -> d.compareTo(Duration.ofMillis(50)) >= 0, "a duration of at least 50ms",
            "how soon a node is checked again while it stops or starts answering, or after a statement on it lost its connection");
    public static final Setting<Integer> HEALTH_FALL = Setting.integer("healthFall", "DB_HEALTH_FALL", 2, 1, 100,
            "consecutive bad checks before a healthy node is taken out of rotation");
    public static final Setting<Integer> HEALTH_RISE = Setting.integer("healthRise", "DB_HEALTH_RISE", 2, 1, 100,
            "consecutive good checks before a node is put back into rotation");
    public static final Setting<Duration> MAX_REPLICA_LAG = Setting.duration("maxReplicaLag", "DB_MAX_REPLICA_LAG",
            Duration.ofSeconds(30), d -> d.compareTo(Duration.ofMillis(100)) >= 0, "a duration of at least 100ms",
            "replicas further behind than this take no reads of the default consistency");
    public static final Setting<ReplicaFallback> REPLICA_FALLBACK = Setting.of("replicaFallback", "DB_REPLICA_FALLBACK",
            ReplicaFallback.PRIMARY, ReplicaFallback::parse, f -> true, "primary or least-lagged",
            "where default-consistency reads go when no replica is healthy");
    public static final Setting<Duration> MAX_FALLBACK_LAG = Setting.duration("maxFallbackLag", "DB_MAX_FALLBACK_LAG",
            Duration.ofMinutes(5), d -> !d.isNegative(), "a duration",
            "with replicaFallback=least-lagged, the most a fallback replica may lag; beyond it reads go to the primary");
    public static final Setting<Duration> READ_YOUR_WRITES_WAIT = Setting.duration("readYourWritesWait", "DB_READ_YOUR_WRITES_WAIT",
            Duration.ofMillis(500), d -> !d.isNegative() && d.compareTo(Duration.ofMinutes(1)) <= 0, "a duration from 0 to 1m",
            "how long a read-your-writes read waits for a replica to replay the write before it goes to the primary");

    public static final Setting<Boolean> HEDGE_READS = Setting.bool("hedgeReads", "DB_HEDGE_READS", false,
            "off by default: send a replica read that has not answered within its node's recent p99 latency (at least hedgeMinDelay) to a second "
                    + "replica that qualifies for the same consistency; the first answer wins and the other statement is cancelled. "
                    + "Only single-statement autocommit reads are hedged: never writes, transactions or streams");
    public static final Setting<Duration> HEDGE_MIN_DELAY = Setting.duration("hedgeMinDelay", "DB_HEDGE_MIN_DELAY",
            Duration.ofMillis(20), d -> d.compareTo(Duration.ofMillis(1)) >= 0 && d.compareTo(Duration.ofSeconds(10)) <= 0,
            "a duration from 1ms to 10s",
            "the shortest wait before a read is hedged, whatever its node's recent latency; also how long the attempt that "
                    + "lost may go on before it is cancelled");
    public static final Setting<Percentage> HEDGE_BUDGET = Setting.of("hedgeBudget", "DB_HEDGE_BUDGET", new Percentage(5),
            Percentage::parse, p -> p.value() >= 0.1 && p.value() <= 50, "a percentage from 0.1% to 50%, e.g. 5%",
            "the most hedges sent, as a share of the reads started over the last 10 seconds, so that a slowdown of every node "
                    + "cannot double the load");

    /** Every setting, in the order docs and {@code toString} list them. */
    public static final List<Setting<?>> ALL = List.of(HOST, PORT, USER, PASSWORD, PASSWORD_FILE, DATABASE,
            MAX_OPEN_CONNS, MAX_IDLE_CONNS, CONN_MAX_LIFETIME, CONN_MAX_IDLE_TIME,
            REPLICA_HOSTS, PATRONI_URLS, POOLER, DIRECT_HOSTS, REPLICA_USER, REPLICA_PASSWORD, REPLICA_PASSWORD_FILE,
            CONNECT_TIMEOUT, POOL_TIMEOUT, STATEMENT_TIMEOUT, SOCKET_TIMEOUT,
            SSL_MODE, SSL_ROOT_CERT, SSL_CERT, SSL_KEY,
            SLOW_QUERY_THRESHOLD, LOG_QUERY_PARAMETERS, APPLICATION_NAME,
            HEALTH_INTERVAL, HEALTH_TIMEOUT, HEALTH_FAST_INTERVAL, HEALTH_FALL, HEALTH_RISE,
            MAX_REPLICA_LAG, REPLICA_FALLBACK, MAX_FALLBACK_LAG, READ_YOUR_WRITES_WAIT,
            HEDGE_READS, HEDGE_MIN_DELAY, HEDGE_BUDGET);

    private static boolean validHostList(String text) {
        try {
            return !parseHosts(text).isEmpty();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Splits the list and checks each entry's syntax; ports are resolved against {@link #PORT} by DbConfig. */
    private static List<String> parseHosts(String text) {
        List<String> hosts = new ArrayList<>();
        if (text.isBlank()) {
            return hosts;
        }
        for (String part : text.split(",", -1)) {
            if (part.isBlank()) {
                throw new IllegalArgumentException("'" + text + "' has an empty entry");
            }
            HostAndPort.parse(part, 1);
            hosts.add(part.strip());
        }
        return hosts;
    }

    /** Patroni REST API base URLs; a credential or path in one is refused rather than guessed at. */
    private static List<URI> parsePatroniUrls(String text) {
        List<URI> urls = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String entry = part.strip();
            URI uri;
            try {
                uri = new URI(entry);
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("'" + entry + "' is no URL");
            }
            if (uri.getRawUserInfo() != null) {
                // never echo a credential back
                throw new IllegalArgumentException("an entry holds a user name or password; Patroni's REST API is read without one");
            }
            if (!isPatroniUrl(uri)) {
                throw new IllegalArgumentException("'" + entry + "' is not scheme, host and port only (http://host:8008)");
            }
            urls.add(URI.create(uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort()));
        }
        return List.copyOf(urls);
    }

    private static boolean isPatroniUrl(URI uri) {
        return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && uri.getPort() > 0
                && uri.getRawUserInfo() == null && (uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))
                && uri.getRawQuery() == null && uri.getRawFragment() == null;
    }

    private static boolean validHosts(List<String> hosts) {
        try {
            hosts.forEach(h -> HostAndPort.parse(h, 1));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
