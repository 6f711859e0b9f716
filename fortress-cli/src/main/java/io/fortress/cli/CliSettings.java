package io.fortress.cli;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Settings of the {@code fortress} command itself, each defined once (the library's are in DbSettings,
 * BackupSettings and MigrationSettings). docs/configuration.md lists them.
 */
final class CliSettings {
    private CliSettings() {
    }

    static final Setting<Path> DATA_DIR = Setting.of("dataDir", "FORTRESS_DATA_DIR", defaultDataDir(), Path::of,
            p -> !p.toString().isBlank(), "a folder path",
            "where the embedded cluster (cluster/) and, by default, its backups (backups/) live; used when DB_HOST is unset");
    static final Setting<String> HTTP_ADDR = Setting.of("httpAddr", "FORTRESS_HTTP_ADDR", "127.0.0.1:8080", s -> s,
            CliSettings::validAddress, "host:port with a port from 1 to 65535 (e.g. 127.0.0.1:8080)",
            "where fortress serve answers /health/* and /metrics*, and where fortress stats asks it");
    static final Setting<Duration> HEALTH_INTERVAL = alias("healthInterval", "FORTRESS_HEALTH_INTERVAL", DbSettings.HEALTH_INTERVAL);
    static final Setting<Duration> HEALTH_TIMEOUT = alias("healthTimeout", "FORTRESS_HEALTH_TIMEOUT", DbSettings.HEALTH_TIMEOUT);
    static final Setting<Duration> IOC_CLEANUP_INTERVAL = Setting.duration("iocCleanupInterval", "FORTRESS_IOC_CLEANUP_INTERVAL",
            Duration.ofMinutes(5), d -> d.isZero() || d.compareTo(Duration.ofSeconds(1)) >= 0, "0 (off) or a duration of at least 1s",
            "how often fortress serve deletes expired cdefnet indicators (cdefnet.cleanup_expired_iocs())");
    static final Setting<String> LOG_FORMAT = Setting.of("logFormat", "FORTRESS_LOG_FORMAT", "text",
            s -> s.toLowerCase(Locale.ROOT), s -> s.equals("text") || s.equals("json"), "text or json",
            "log lines of every command (fortress serve above all): human-readable text, or one JSON object per line");
    static final Setting<String> LOG_LEVEL = Setting.of("logLevel", "FORTRESS_LOG_LEVEL", null,
            s -> s.toUpperCase(Locale.ROOT), s -> List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(s),
            "error, warn, info, debug or trace", "log level (default: info for serve, warn for one-shot commands)");

    static final Setting<Path> HTTP_TOKEN_FILE = Setting.file("httpTokenFile", "FORTRESS_HTTP_TOKEN_FILE",
            "file holding the token (at least 16 characters) every endpoint of fortress serve but /health/live and /health/ready "
                    + "requires as Authorization: Bearer <token>; fortress stats sends it; readable by its owner only (chmod 600); "
                    + "unset: the endpoints are open");
    static final Setting<Boolean> HTTP_ALLOW_OPEN = Setting.bool("httpAllowOpen", "FORTRESS_HTTP_ALLOW_OPEN", false,
            "let fortress serve listen on an address that is not loopback without FORTRESS_HTTP_TOKEN_FILE (anyone who reaches "
                    + "it then reads the topology and the metrics); false: it refuses to start");

    static final Setting<Path> HTTP_TLS_CERT_FILE = Setting.file("httpTlsCertFile", "FORTRESS_HTTP_TLS_CERT_FILE",
            "PEM certificate (chain) of fortress serve's HTTP listener; with FORTRESS_HTTP_TLS_KEY_FILE it answers https only, "
                    + "and fortress stats trusts this certificate");
    static final Setting<Path> HTTP_TLS_KEY_FILE = Setting.file("httpTlsKeyFile", "FORTRESS_HTTP_TLS_KEY_FILE",
            "the listener's private key, unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY)");

    static final Setting<Boolean> HTTP_ALLOW_PLAINTEXT_TOKEN = Setting.bool("httpAllowPlaintextToken",
            "FORTRESS_HTTP_ALLOW_PLAINTEXT_TOKEN", false, "let fortress serve take FORTRESS_HTTP_TOKEN_FILE's token over plain http on an "
                    + "address that is not loopback (the token then crosses the network in clear); false: it refuses to start "
                    + "without FORTRESS_HTTP_TLS_CERT_FILE there");
    static final Setting<Duration> HTTP_REQUEST_TIMEOUT = Setting.duration("httpRequestTimeout", "FORTRESS_HTTP_REQUEST_TIMEOUT",
            Duration.ofSeconds(10), CliSettings::wholeSecondsUpTo10m, "whole seconds from 1s to 10m",
            "how long a client of fortress serve's HTTP listener may take to send a request (TLS handshake, request line "
                    + "and headers); the connection is closed after that");
    static final Setting<Duration> HTTP_RESPONSE_TIMEOUT = Setting.duration("httpResponseTimeout", "FORTRESS_HTTP_RESPONSE_TIMEOUT",
            Duration.ofSeconds(30), CliSettings::wholeSecondsUpTo10m, "whole seconds from 1s to 10m",
            "how long fortress serve's HTTP listener spends answering a request, a slow reader included; the connection is "
                    + "closed after that");
    static final Setting<Integer> HTTP_MAX_CONNECTIONS = Setting.integer("httpMaxConnections", "FORTRESS_HTTP_MAX_CONNECTIONS",
            1000, 16, 10_000, "how many connections fortress serve's HTTP listener keeps open at once, each with a thread "
                    + "while it is read or answered; more are closed as they arrive");

    static final List<Setting<?>> ALL = List.of(DATA_DIR, HTTP_ADDR, HEALTH_INTERVAL, HEALTH_TIMEOUT, IOC_CLEANUP_INTERVAL,
            LOG_FORMAT, LOG_LEVEL, HTTP_TOKEN_FILE, HTTP_ALLOW_OPEN, HTTP_TLS_CERT_FILE, HTTP_TLS_KEY_FILE, HTTP_ALLOW_PLAINTEXT_TOKEN,
            HTTP_REQUEST_TIMEOUT, HTTP_RESPONSE_TIMEOUT, HTTP_MAX_CONNECTIONS);

    /**
     * The token in FORTRESS_HTTP_TOKEN_FILE (its first line, trimmed), or null when the setting is unset.
     *
     * @throws IllegalArgumentException when the file cannot be read or the token is too short; the token is never in the message
     */
    static byte[] httpToken(Map<String, String> environment) {
        Path file = get(HTTP_TOKEN_FILE, environment);
        if (file == null) {
            return null;
        }
        io.fortress.db.api.SecretFiles.requirePrivate(file, "FORTRESS_HTTP_TOKEN_FILE");
        String token;
        try {
            token = java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read FORTRESS_HTTP_TOKEN_FILE=" + file + ": " + e.getClass().getSimpleName());
        }
        if (token.length() < 16) {
            throw new IllegalArgumentException("the token in FORTRESS_HTTP_TOKEN_FILE=" + file + " has " + token.length()
                    + " characters; use at least 16 (e.g. openssl rand -hex 32 > " + file.getFileName() + ")");
        }
        return token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Refuses to serve an address that is not loopback without a token, unless FORTRESS_HTTP_ALLOW_OPEN says to.
     *
     * @throws IllegalArgumentException saying why and which setting changes it
     */
    static void checkExposure(String address, byte[] token, Map<String, String> environment) {
        if (token != null || get(HTTP_ALLOW_OPEN, environment)) {
            return;
        }
        if (!isLoopback(address)) {
            throw new IllegalArgumentException("FORTRESS_HTTP_ADDR=" + address + " is not a loopback address, and without "
                    + "FORTRESS_HTTP_TOKEN_FILE every endpoint (the topology, the metrics) would answer anyone who reaches it; "
                    + "set FORTRESS_HTTP_TOKEN_FILE to a file holding a token, or FORTRESS_HTTP_ALLOW_OPEN=true to serve it open "
                    + "on purpose");
        }
    }

    /**
     * Refuses to take the token over plain http on an address that is not loopback, unless
     * FORTRESS_HTTP_ALLOW_PLAINTEXT_TOKEN says to: anyone on the path would read it.
     *
     * @throws IllegalArgumentException saying why and which settings change it
     */
    static void checkTokenTransport(String address, byte[] token, boolean tls, Map<String, String> environment) {
        if (token == null || tls || get(HTTP_ALLOW_PLAINTEXT_TOKEN, environment) || isLoopback(address)) {
            return;
        }
        throw new IllegalArgumentException("FORTRESS_HTTP_ADDR=" + address + " is not a loopback address, and without TLS the "
                + "token of FORTRESS_HTTP_TOKEN_FILE would cross the network in clear with every request; set "
                + "FORTRESS_HTTP_TLS_CERT_FILE and FORTRESS_HTTP_TLS_KEY_FILE, or FORTRESS_HTTP_ALLOW_PLAINTEXT_TOKEN=true if the "
                + "network is trusted (or TLS ends in front of fortress)");
    }

    /** Whether FORTRESS_HTTP_ADDR's host is a loopback address (an unknown host is not). */
    static boolean isLoopback(String address) {
        java.net.InetSocketAddress socket = new java.net.InetSocketAddress(host(address), port(address));
        return !socket.isUnresolved() && socket.getAddress().isLoopbackAddress();
    }

    private static boolean wholeSecondsUpTo10m(Duration d) {
        return d.getNano() == 0 && d.compareTo(Duration.ofSeconds(1)) >= 0 && d.compareTo(Duration.ofMinutes(10)) <= 0;
    }

    /** A setting's value from the environment (empty means unset), checked; the default otherwise. */
    static <T> T get(Setting<T> setting, Map<String, String> environment) {
        String raw = environment.get(setting.variable());
        return raw == null || raw.isBlank() ? setting.defaultValue() : setting.parseVariable(raw);
    }

    /** Checks every setting of the command, so that a bad value fails before anything starts. */
    static void validate(Map<String, String> environment) {
        ALL.forEach(s -> get(s, environment));
        Map<String, String> resolved = resolveAliases(environment);
        Map<String, String> health = new HashMap<>();
        for (Setting<Duration> s : List.of(DbSettings.HEALTH_INTERVAL, DbSettings.HEALTH_TIMEOUT)) {
            if (resolved.get(s.variable()) != null) {
                health.put(s.variable(), resolved.get(s.variable()));
            }
        }
        DbConfig.fromEnv(health); // the interval and timeout must go together
    }

    /**
     * Another name of a library setting, kept for fortress serve's environment files: it takes the same
     * values and has no default of its own.
     */
    private static Setting<Duration> alias(String name, String variable, Setting<Duration> of) {
        return Setting.duration(name, variable, null, d -> true, of.accepted(),
                "another name of " + of.variable() + " (set one of them, or both to the same value)");
    }

    /**
     * The environment with every alias given under the library's variable it names (FORTRESS_HEALTH_INTERVAL
     * as DB_HEALTH_INTERVAL, ...), so that one setting, with one default, serves the library and serve.
     *
     * @throws DbConfigException when an alias and its variable are both set to different values
     */
    static Map<String, String> resolveAliases(Map<String, String> environment) {
        Map<String, String> resolved = new HashMap<>(environment);
        for (var alias : Map.of(HEALTH_INTERVAL, DbSettings.HEALTH_INTERVAL, HEALTH_TIMEOUT, DbSettings.HEALTH_TIMEOUT).entrySet()) {
            String own = environment.get(alias.getKey().variable());
            if (own == null || own.isBlank()) {
                continue;
            }
            Setting<Duration> library = alias.getValue();
            String other = environment.get(library.variable());
            if (other != null && !other.isBlank() && !library.parseVariable(other).equals(library.parseVariable(own))) {
                throw new DbConfigException(alias.getKey().variable() + "=" + own.strip() + " and " + library.variable() + "="
                        + other.strip() + " disagree; " + alias.getKey().variable() + " is another name of " + library.variable()
                        + ": unset one of them or give both the same value");
            }
            resolved.put(library.variable(), own);
        }
        return Map.copyOf(resolved);
    }

    /**
     * Root runs the embedded servers as an unprivileged user, who cannot reach /root: root keeps them in
     * /var/lib/fortress; everyone else under the XDG data home.
     */
    private static Path defaultDataDir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/fortress");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("fortress");
    }

    private static boolean validAddress(String s) {
        try {
            int colon = s.lastIndexOf(':');
            int port = Integer.parseInt(s.substring(colon + 1));
            return colon > 0 && port >= 1 && port <= 65535;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The host part of FORTRESS_HTTP_ADDR. */
    static String host(String address) {
        String host = address.substring(0, address.lastIndexOf(':'));
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The port part of FORTRESS_HTTP_ADDR. */
    static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }
}
