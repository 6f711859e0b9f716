package io.fortress.db.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The checks across {@link DbConfig}'s settings, each refusal naming both settings and what to do. */
final class DbConfigRules {
    private DbConfigRules() {
    }

    /**
     * @throws DbConfigException naming the first pair of settings that do not go together
     */
    static void check(DbConfig c) {
        if (!c.patroniUrls().isEmpty() && !c.replicaHosts().isEmpty()) {
            throw new DbConfigException("replicaHosts (DB_REPLICA_HOSTS) and patroniUrls (DB_PATRONI_URL) both say where the replicas "
                    + "are; with Patroni the members come from its GET /cluster, so unset DB_REPLICA_HOSTS");
        }
        pooler(c);
        if (c.maxIdleConns() > c.maxOpenConns()) {
            throw new DbConfigException("maxIdleConns (DB_MAX_IDLE_CONNS) = " + c.maxIdleConns()
                    + " exceeds maxOpenConns (DB_MAX_OPEN_CONNS) = " + c.maxOpenConns() + "; keep it at most maxOpenConns");
        }
        Duration lifetime = c.connMaxLifetime();
        Duration idle = c.connMaxIdleTime();
        if (!lifetime.isZero() && !idle.isZero() && idle.compareTo(lifetime) >= 0) {
            throw new DbConfigException("connMaxIdleTime (DB_CONN_MAX_IDLE_TIME) = " + Durations.format(idle)
                    + " must be shorter than connMaxLifetime (DB_CONN_MAX_LIFETIME) = " + Durations.format(lifetime)
                    + ", or 0; a connection cannot idle longer than it lives");
        }
        Duration socket = c.get(DbSettings.SOCKET_TIMEOUT);
        Duration statement = c.statementTimeout();
        if (socket != null && !socket.isZero() && !statement.isZero() && socket.compareTo(statement) <= 0) {
            throw new DbConfigException("socketTimeout (DB_SOCKET_TIMEOUT) = " + Durations.format(socket)
                    + " must be longer than statementTimeout (DB_STATEMENT_TIMEOUT) = " + Durations.format(statement)
                    + ": the server ends a statement at statementTimeout with a clear error (SQLSTATE 57014), and a socket "
                    + "timeout at or below it would drop the connection first; leave DB_SOCKET_TIMEOUT unset to get "
                    + Durations.format(DbSettings.SOCKET_TIMEOUT.unsetValue(c)) + ", or set 0 for none");
        }
        exclusive(c, DbSettings.PASSWORD, DbSettings.PASSWORD_FILE);
        exclusive(c, DbSettings.REPLICA_PASSWORD, DbSettings.REPLICA_PASSWORD_FILE);
        readable(c, DbSettings.PASSWORD_FILE);
        readable(c, DbSettings.REPLICA_PASSWORD_FILE);
        readable(c, DbSettings.SSL_ROOT_CERT);
        readable(c, DbSettings.SSL_CERT);
        readable(c, DbSettings.SSL_KEY);
        if (c.sslCert().isPresent() != c.sslKey().isPresent()) {
            throw new DbConfigException("sslCert (DB_SSLCERT) and sslKey (DB_SSLKEY) go together: set both for client "
                    + "certificate authentication, or neither");
        }
        if (c.healthTimeout().compareTo(c.healthInterval()) > 0) {
            throw new DbConfigException("healthTimeout (DB_HEALTH_TIMEOUT) = " + Durations.format(c.healthTimeout())
                    + " exceeds healthInterval (DB_HEALTH_INTERVAL) = " + Durations.format(c.healthInterval())
                    + "; a check must end before the next one is due");
        }
    }

    /** What works behind PgBouncer in transaction pooling mode, and where the direct addresses go. */
    private static void pooler(DbConfig c) {
        int direct = c.get(DbSettings.DIRECT_HOSTS).size();
        if (!c.behindPooler()) {
            if (direct > 0) {
                throw new DbConfigException("directHosts (DB_DIRECT_HOSTS) is used only behind a pooler; set pooler (DB_POOLER) to "
                        + "pgbouncer-transaction when host and replicaHosts name PgBouncers, or unset DB_DIRECT_HOSTS");
            }
            return;
        }
        if (!c.patroniUrls().isEmpty()) {
            throw new DbConfigException("pooler (DB_POOLER) = " + c.pooler() + " cannot be combined with patroniUrls (DB_PATRONI_URL): "
                    + "Patroni lists the servers' own addresses, not those of the PgBouncers in front of them; point DB_HOST and "
                    + "DB_REPLICA_HOSTS at the PgBouncers instead");
        }
        if (!c.statementTimeout().isZero()) {
            throw new DbConfigException("statementTimeout (DB_STATEMENT_TIMEOUT) = " + Durations.format(c.statementTimeout())
                    + " cannot be applied behind pooler (DB_POOLER) = " + c.pooler() + ": it is a session setting, and PgBouncer "
                    + "hands each transaction to any server connection; unset it and set statement_timeout on the server "
                    + "instead (ALTER ROLE ... SET statement_timeout = ...), or in PgBouncer's query_timeout");
        }
        int nodes = c.primaryCandidates().size() + c.replicaHosts().size();
        if (direct > 0 && direct != nodes) {
            throw new DbConfigException("directHosts (DB_DIRECT_HOSTS) lists " + direct + " address(es) but host (DB_HOST) and "
                    + "replicaHosts (DB_REPLICA_HOSTS) list " + nodes + " PgBouncer(s); give one server address per PgBouncer, "
                    + "those of DB_HOST first, then those of DB_REPLICA_HOSTS, in the same order");
        }
        java.util.List<HostAndPort> pooled = new java.util.ArrayList<>(c.primaryCandidates());
        pooled.addAll(c.replicaHosts());
        for (int i = 0; i < direct; i++) {
            String entry = c.get(DbSettings.DIRECT_HOSTS).get(i);
            if (!HostAndPort.parse(entry, 1).equals(HostAndPort.parse(entry, 2))) { // the default port was used
                throw new DbConfigException("directHosts (DB_DIRECT_HOSTS) entry '" + entry + "' has no port; give host:port "
                        + "(DB_PORT is the PgBouncers' port, not the servers')");
            }
            if (HostAndPort.parse(entry, 1).equals(pooled.get(i))) {
                throw new DbConfigException("directHosts (DB_DIRECT_HOSTS) entry '" + entry + "' is the PgBouncer's own address; "
                        + "give the address of the server behind it");
            }
        }
    }

    private static void exclusive(DbConfig c, Setting<?> a, Setting<?> b) {
        if (c.get(a) != null && c.get(b) != null) {
            throw new DbConfigException(a.name() + " (" + a.variable() + ") and " + b.name() + " (" + b.variable()
                    + ") are both set; set only one of them");
        }
    }

    private static void readable(DbConfig c, Setting<Path> setting) {
        Path file = c.get(setting);
        if (file != null && !(Files.isRegularFile(file) && Files.isReadable(file))) {
            throw new DbConfigException(setting.name() + " (" + setting.variable() + ") = " + file
                    + " is invalid: expected " + setting.accepted() + ", but it "
                    + (Files.exists(file) ? "cannot be read" : "does not exist"));
        }
    }
}
