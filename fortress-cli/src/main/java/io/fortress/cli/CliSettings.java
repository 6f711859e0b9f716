package io.fortress.cli;

import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Durations;
import io.fortress.db.api.Setting;
import java.nio.file.Path;
import java.time.Duration;
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
    static final Setting<Duration> HEALTH_INTERVAL = Setting.duration("healthInterval", "FORTRESS_HEALTH_INTERVAL",
            Duration.ofSeconds(30), d -> d.compareTo(Duration.ofMillis(100)) >= 0, "a duration of at least 100ms",
            "how often fortress serve checks every node (DB_HEALTH_INTERVAL when only that is set)");
    static final Setting<Duration> HEALTH_TIMEOUT = Setting.duration("healthTimeout", "FORTRESS_HEALTH_TIMEOUT",
            Duration.ofSeconds(5), d -> d.compareTo(Duration.ofMillis(100)) >= 0 && d.compareTo(Duration.ofMinutes(10)) <= 0,
            "a duration from 100ms to 10m, at most the interval",
            "longest time one health check of fortress serve may take (DB_HEALTH_TIMEOUT when only that is set)");
    static final Setting<Duration> IOC_CLEANUP_INTERVAL = Setting.duration("iocCleanupInterval", "FORTRESS_IOC_CLEANUP_INTERVAL",
            Duration.ofMinutes(5), d -> d.isZero() || d.compareTo(Duration.ofSeconds(1)) >= 0, "0 (off) or a duration of at least 1s",
            "how often fortress serve deletes expired cdefnet indicators (cdefnet.cleanup_expired_iocs())");
    static final Setting<String> LOG_FORMAT = Setting.of("logFormat", "FORTRESS_LOG_FORMAT", "text",
            s -> s.toLowerCase(Locale.ROOT), s -> s.equals("text") || s.equals("json"), "text or json",
            "log lines of every command (fortress serve above all): human-readable text, or one JSON object per line");
    static final Setting<String> LOG_LEVEL = Setting.of("logLevel", "FORTRESS_LOG_LEVEL", null,
            s -> s.toUpperCase(Locale.ROOT), s -> List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(s),
            "error, warn, info, debug or trace", "log level (default: info for serve, warn for one-shot commands)");

    static final List<Setting<?>> ALL = List.of(DATA_DIR, HTTP_ADDR, HEALTH_INTERVAL, HEALTH_TIMEOUT, IOC_CLEANUP_INTERVAL,
            LOG_FORMAT, LOG_LEVEL);

    /** A setting's value from the environment (empty means unset), checked; the default otherwise. */
    static <T> T get(Setting<T> setting, Map<String, String> environment) {
        String raw = environment.get(setting.variable());
        return raw == null || raw.isBlank() ? setting.defaultValue() : setting.parseVariable(raw);
    }

    /** Checks every setting of the command, so that a bad value fails before anything starts. */
    static void validate(Map<String, String> environment) {
        ALL.forEach(s -> get(s, environment));
        Duration interval = serveHealth(HEALTH_INTERVAL, DbSettings.HEALTH_INTERVAL, environment);
        Duration timeout = serveHealth(HEALTH_TIMEOUT, DbSettings.HEALTH_TIMEOUT, environment);
        if (timeout.compareTo(interval) > 0) {
            throw new DbConfigException("the health check timeout " + Durations.format(timeout) + " exceeds the interval "
                    + Durations.format(interval) + " (FORTRESS_HEALTH_TIMEOUT, FORTRESS_HEALTH_INTERVAL); a check must end "
                    + "before the next is due");
        }
    }

    /**
     * A health setting of fortress serve. The library's DB_HEALTH_* name the same thing for a Database
     * an application opens, with the library's defaults: serve takes one when only it is set (an
     * environment file shared with the application), and refuses the two set to different values.
     */
    static Duration serveHealth(Setting<Duration> serveSetting, Setting<Duration> librarySetting, Map<String, String> environment) {
        String own = environment.get(serveSetting.variable());
        String library = environment.get(librarySetting.variable());
        boolean ownSet = own != null && !own.isBlank();
        boolean librarySet = library != null && !library.isBlank();
        if (!librarySet) {
            return get(serveSetting, environment);
        }
        Duration fromLibrary = librarySetting.parseVariable(library);
        if (!ownSet) {
            try {
                serveSetting.check(fromLibrary);
            } catch (DbConfigException e) {
                throw new DbConfigException(librarySetting.variable() + "=" + library.strip() + " is invalid for fortress serve, "
                        + "which takes it when " + serveSetting.variable() + " is unset: expected " + serveSetting.accepted());
            }
            return fromLibrary;
        }
        Duration value = get(serveSetting, environment);
        if (!value.equals(fromLibrary)) {
            throw new DbConfigException(serveSetting.variable() + "=" + Durations.format(value) + " and "
                    + librarySetting.variable() + "=" + Durations.format(fromLibrary) + " disagree; fortress serve takes "
                    + serveSetting.variable() + ", or " + librarySetting.variable() + " when only that is set: unset one of them "
                    + "or give both the same value");
        }
        return value;
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
