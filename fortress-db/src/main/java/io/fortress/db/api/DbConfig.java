package io.fortress.db.api;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Immutable settings of a {@link io.fortress.db.Database}: where the primary and replicas are, how to log in, pool
 * sizes and lifetimes, timeouts and TLS. Every setting is defined once in {@link DbSettings}.
 *
 * <p>Build one in code with {@link #builder()}, or from the environment variables with
 * {@link #fromEnv()}. Invalid values fail at {@link Builder#build()} with a message naming the
 * setting, its variable, the value and what is accepted; nothing is silently corrected.
 * {@link #toString()} never shows a password.
 */
public final class DbConfig extends Configuration {
    private DbConfig(Builder builder) {
        super(builder);
    }

    /** A builder starting from every default. */
    public static Builder builder() {
        return new Builder(null);
    }

    /** Reads every setting's environment variable from this process's environment. */
    public static DbConfig fromEnv() {
        return fromEnv(System.getenv());
    }

    /**
     * Reads settings from the given variables (unset or empty variables keep their defaults).
     *
     * @throws DbConfigException naming the first variable whose value is refused
     */
    public static DbConfig fromEnv(Map<String, String> environment) {
        return builder().applyEnv(environment).build();
    }

    /** A builder holding this configuration's values, to derive another. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public String host() {
        return get(DbSettings.HOST);
    }

    public int port() {
        return get(DbSettings.PORT);
    }

    /** The first primary candidate's address. */
    public HostAndPort primaryAddress() {
        return primaryCandidates().get(0);
    }

    /** Every address DB_HOST lists, in order; entries without a port use {@link #port()}. */
    public List<HostAndPort> primaryCandidates() {
        return Arrays.stream(host().split(",")).map(h -> HostAndPort.parse(h, port())).toList();
    }

    public String user() {
        return get(DbSettings.USER);
    }

    public String database() {
        return get(DbSettings.DATABASE);
    }

    public int maxOpenConns() {
        return get(DbSettings.MAX_OPEN_CONNS);
    }

    /** Idle connections kept per pool; unset, {@link DbSettings#MAX_IDLE_CONNS} says. */
    public int maxIdleConns() {
        return effective(DbSettings.MAX_IDLE_CONNS);
    }

    public Duration connMaxLifetime() {
        return get(DbSettings.CONN_MAX_LIFETIME);
    }

    /** How long a connection may idle; unset, {@link DbSettings#CONN_MAX_IDLE_TIME} says (under connMaxLifetime). */
    public Duration connMaxIdleTime() {
        return effective(DbSettings.CONN_MAX_IDLE_TIME);
    }

    /** The replicas' addresses, in the order given; entries without a port use {@link #port()}. */
    public List<HostAndPort> replicaHosts() {
        return get(DbSettings.REPLICA_HOSTS).stream().map(h -> HostAndPort.parse(h, port())).toList();
    }

    /** The Patroni REST APIs the members come from; empty when they come from host and replicaHosts. */
    public List<URI> patroniUrls() {
        return get(DbSettings.PATRONI_URLS);
    }

    /** What host and replicaHosts point at: the servers, or PgBouncer in transaction pooling mode. */
    public Pooler pooler() {
        return get(DbSettings.POOLER);
    }

    /** True when a pooler sits in front of the servers, so that no session state may be relied on. */
    public boolean behindPooler() {
        return pooler() != Pooler.NONE;
    }

    /**
     * The server's own address behind the pooler at {@code pooled} (an entry of host or replicaHosts), from
     * DB_DIRECT_HOSTS; without a pooler, {@code pooled} itself; empty behind a pooler when DB_DIRECT_HOSTS is unset.
     */
    public Optional<HostAndPort> directAddress(HostAndPort pooled) {
        if (!behindPooler()) {
            return Optional.of(pooled);
        }
        List<String> direct = get(DbSettings.DIRECT_HOSTS);
        if (direct.isEmpty()) {
            return Optional.empty();
        }
        List<HostAndPort> all = new ArrayList<>(primaryCandidates());
        all.addAll(replicaHosts());
        int index = all.indexOf(pooled);
        return index < 0 ? Optional.empty() : Optional.of(HostAndPort.parse(direct.get(index), port()));
    }

    /** The user replica pools log in as; unset, {@link #user()}. */
    public String replicaUser() {
        return effective(DbSettings.REPLICA_USER);
    }

    public Duration connectTimeout() {
        return get(DbSettings.CONNECT_TIMEOUT);
    }

    public Duration poolTimeout() {
        return get(DbSettings.POOL_TIMEOUT);
    }

    public Duration statementTimeout() {
        return get(DbSettings.STATEMENT_TIMEOUT);
    }

    /** How long a pooled connection waits for the server at most; unset, {@link DbSettings#SOCKET_TIMEOUT} says. */
    public Duration socketTimeout() {
        return effective(DbSettings.SOCKET_TIMEOUT);
    }

    public SslMode sslMode() {
        return get(DbSettings.SSL_MODE);
    }

    public Optional<Path> sslRootCert() {
        return Optional.ofNullable(get(DbSettings.SSL_ROOT_CERT));
    }

    public Optional<Path> sslCert() {
        return Optional.ofNullable(get(DbSettings.SSL_CERT));
    }

    public Optional<Path> sslKey() {
        return Optional.ofNullable(get(DbSettings.SSL_KEY));
    }

    public Duration slowQueryThreshold() {
        return get(DbSettings.SLOW_QUERY_THRESHOLD);
    }

    public boolean logQueryParameters() {
        return get(DbSettings.LOG_QUERY_PARAMETERS);
    }

    public String applicationName() {
        return get(DbSettings.APPLICATION_NAME);
    }

    public Duration healthInterval() {
        return get(DbSettings.HEALTH_INTERVAL);
    }

    /** The timeout of one check; unset, {@link DbSettings#HEALTH_TIMEOUT} says. */
    public Duration healthTimeout() {
        return effective(DbSettings.HEALTH_TIMEOUT);
    }

    public Duration healthFastInterval() {
        return get(DbSettings.HEALTH_FAST_INTERVAL);
    }

    public int healthFall() {
        return get(DbSettings.HEALTH_FALL);
    }

    public int healthRise() {
        return get(DbSettings.HEALTH_RISE);
    }

    public Duration maxReplicaLag() {
        return get(DbSettings.MAX_REPLICA_LAG);
    }

    public ReplicaFallback replicaFallback() {
        return get(DbSettings.REPLICA_FALLBACK);
    }

    public Duration maxFallbackLag() {
        return get(DbSettings.MAX_FALLBACK_LAG);
    }

    public Duration readYourWritesWait() {
        return get(DbSettings.READ_YOUR_WRITES_WAIT);
    }

    /** Whether slow replica reads are hedged to a second qualifying replica. */
    public boolean hedgeReads() {
        return get(DbSettings.HEDGE_READS);
    }

    /** The shortest wait before a read is hedged, and how long the attempt that lost may go on before it is cancelled. */
    public Duration hedgeMinDelay() {
        return get(DbSettings.HEDGE_MIN_DELAY);
    }

    /** The most hedges, as a share of the reads started over the last 10 seconds. */
    public Percentage hedgeBudget() {
        return get(DbSettings.HEDGE_BUDGET);
    }

    /** Collects settings; {@link #build()} validates them all at once. */
    public static final class Builder extends Configuration.Builder<Builder, DbConfig> {
        private Builder(DbConfig from) {
            super(DbSettings.ALL, from);
        }

        public Builder host(String host) {
            return set(DbSettings.HOST, host);
        }

        public Builder port(int port) {
            return set(DbSettings.PORT, port);
        }

        public Builder user(String user) {
            return set(DbSettings.USER, user);
        }

        public Builder password(String password) {
            return setSecret(DbSettings.PASSWORD, password);
        }

        public Builder passwordFile(Path file) {
            return set(DbSettings.PASSWORD_FILE, file);
        }

        public Builder database(String database) {
            return set(DbSettings.DATABASE, database);
        }

        public Builder maxOpenConns(int n) {
            return set(DbSettings.MAX_OPEN_CONNS, n);
        }

        public Builder maxIdleConns(int n) {
            return set(DbSettings.MAX_IDLE_CONNS, n);
        }

        public Builder connMaxLifetime(Duration d) {
            return set(DbSettings.CONN_MAX_LIFETIME, d);
        }

        public Builder connMaxIdleTime(Duration d) {
            return set(DbSettings.CONN_MAX_IDLE_TIME, d);
        }

        /** Replica addresses, {@code host} or {@code host:port}. */
        public Builder replicaHosts(String... hosts) {
            return replicaHosts(Arrays.asList(hosts));
        }

        public Builder replicaHosts(List<String> hosts) {
            return set(DbSettings.REPLICA_HOSTS, List.copyOf(hosts));
        }

        /** Patroni REST API URLs ({@code http://host:8008}); the members then come from Patroni's {@code GET /cluster}. */
        public Builder patroniUrls(String... urls) {
            return set(DbSettings.PATRONI_URLS, Arrays.stream(urls).map(URI::create).toList());
        }

        public Builder pooler(Pooler pooler) {
            return set(DbSettings.POOLER, pooler);
        }

        /** The servers' own addresses behind a pooler: one per entry of host, then of replicaHosts. */
        public Builder directHosts(String... hosts) {
            return set(DbSettings.DIRECT_HOSTS, List.copyOf(Arrays.asList(hosts)));
        }

        public Builder replicaUser(String user) {
            return set(DbSettings.REPLICA_USER, user);
        }

        public Builder replicaPassword(String password) {
            return setSecret(DbSettings.REPLICA_PASSWORD, password);
        }

        public Builder replicaPasswordFile(Path file) {
            return set(DbSettings.REPLICA_PASSWORD_FILE, file);
        }

        public Builder connectTimeout(Duration d) {
            return set(DbSettings.CONNECT_TIMEOUT, d);
        }

        public Builder poolTimeout(Duration d) {
            return set(DbSettings.POOL_TIMEOUT, d);
        }

        public Builder statementTimeout(Duration d) {
            return set(DbSettings.STATEMENT_TIMEOUT, d);
        }

        /** 0 for none; unset (null) derives it from the statement timeout. */
        public Builder socketTimeout(Duration d) {
            return set(DbSettings.SOCKET_TIMEOUT, d);
        }

        public Builder sslMode(SslMode mode) {
            return set(DbSettings.SSL_MODE, mode);
        }

        public Builder sslRootCert(Path file) {
            return set(DbSettings.SSL_ROOT_CERT, file);
        }

        public Builder sslCert(Path file) {
            return set(DbSettings.SSL_CERT, file);
        }

        public Builder sslKey(Path file) {
            return set(DbSettings.SSL_KEY, file);
        }

        public Builder slowQueryThreshold(Duration d) {
            return set(DbSettings.SLOW_QUERY_THRESHOLD, d);
        }

        public Builder logQueryParameters(boolean log) {
            return set(DbSettings.LOG_QUERY_PARAMETERS, log);
        }

        public Builder applicationName(String name) {
            return set(DbSettings.APPLICATION_NAME, name);
        }

        public Builder healthInterval(Duration d) {
            return set(DbSettings.HEALTH_INTERVAL, d);
        }

        public Builder healthTimeout(Duration d) {
            return set(DbSettings.HEALTH_TIMEOUT, d);
        }

        public Builder healthFastInterval(Duration d) {
            return set(DbSettings.HEALTH_FAST_INTERVAL, d);
        }

        public Builder healthFall(int checks) {
            return set(DbSettings.HEALTH_FALL, checks);
        }

        public Builder healthRise(int checks) {
            return set(DbSettings.HEALTH_RISE, checks);
        }

        public Builder maxReplicaLag(Duration d) {
            return set(DbSettings.MAX_REPLICA_LAG, d);
        }

        public Builder replicaFallback(ReplicaFallback fallback) {
            return set(DbSettings.REPLICA_FALLBACK, fallback);
        }

        public Builder maxFallbackLag(Duration d) {
            return set(DbSettings.MAX_FALLBACK_LAG, d);
        }

        public Builder readYourWritesWait(Duration d) {
            return set(DbSettings.READ_YOUR_WRITES_WAIT, d);
        }

        public Builder hedgeReads(boolean hedge) {
            return set(DbSettings.HEDGE_READS, hedge);
        }

        public Builder hedgeMinDelay(Duration d) {
            return set(DbSettings.HEDGE_MIN_DELAY, d);
        }

        /** The hedging budget, e.g. {@code new Percentage(5)}. */
        public Builder hedgeBudget(Percentage budget) {
            return set(DbSettings.HEDGE_BUDGET, budget);
        }

        /**
         * Validates every setting and their combinations.
         *
         * @throws DbConfigException naming the first refused setting and what is accepted
         */
        @Override
        public DbConfig build() {
            DbConfig config = new DbConfig(this);
            DbConfigRules.check(config);
            return config;
        }

        private Builder setSecret(Setting<Secret> setting, String value) {
            return set(setting, value == null ? null : Secret.of(value));
        }
    }
}
