package io.fortress.spring;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.Setting;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;

/**
 * Builds the {@link DbConfig} of the application. fortress's own settings come first: the DB_*
 * variables of the process, then the {@code fortress.*} properties, which win. An application that
 * already runs on plain Spring Boot keeps its database: what {@code spring.datasource.*} names (the
 * URL's hosts, port and database, username, password, TLS parameters) fills in what fortress's
 * settings leave unset, and where both name something they must agree, or start-up fails naming
 * both. {@code spring.datasource.hikari.*} settings with a fortress equivalent are taken the same way;
 * the others are named in a warning. Everything goes through DbConfig's own parsing and checks, and a
 * refused value is named by the property that gave it.
 */
final class DbConfigBinder {
    private static final Logger LOG = LoggerFactory.getLogger(DbConfigBinder.class);

    private DbConfigBinder() {
    }

    /** The property of a setting: {@code fortress.} and its name in kebab case ({@code maxOpenConns} → {@code fortress.max-open-conns}). */
    static String property(Setting<?> setting) {
        return "fortress." + setting.name().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** A value of fortress's own settings, and where it was given (a DB_* variable or a fortress.* property). */
    private record Given(String value, String origin) {
    }

    static DbConfig bind(Environment spring, Map<String, String> processEnvironment) {
        Map<String, Given> fortress = fortressSettings(spring, processEnvironment);
        DbConfig.Builder builder = DbConfig.builder();
        fortress.forEach((variable, given) -> apply(builder, variable, given.value(), given.origin()));
        Optional<SpringDataSource> dataSource = SpringDataSource.read(spring);
        if (dataSource.isPresent()) {
            adopt(dataSource.get(), fortress, builder);
        }
        HikariSettings.adopt(spring, fortress::containsKey, (variable, value, property) -> apply(builder, variable, value, property));
        return builder.build();
    }

    /** Every DB_* variable of the process that is set, overridden by its fortress.* property where that is set. */
    private static Map<String, Given> fortressSettings(Environment spring, Map<String, String> processEnvironment) {
        Map<String, Given> given = new LinkedHashMap<>();
        for (Setting<?> setting : DbSettings.ALL) {
            String raw = processEnvironment.get(setting.variable());
            // a secret of white space is passed on so that DbConfig refuses it with its own message
            if (raw != null && (!raw.isBlank() || setting.isSecret() && !raw.isEmpty())) {
                given.put(setting.variable(), new Given(raw, setting.variable()));
            }
            String value = spring.getProperty(property(setting));
            if (value != null && !value.isBlank()) {
                given.put(setting.variable(), new Given(value, property(setting)));
            }
        }
        return given;
    }

    /** spring.datasource fills in what fortress's settings leave unset; where both name something, they must agree. */
    private static void adopt(SpringDataSource dataSource, Map<String, Given> fortress, DbConfig.Builder builder) {
        List<String> conflicts = new ArrayList<>();
        boolean patroni = fortress.containsKey(DbSettings.PATRONI_URLS.variable());
        String host = DbSettings.HOST.variable();
        String port = DbSettings.PORT.variable();
        if (patroni) {
            LOG.warn("{} is set: Patroni names the servers, so the hosts of {} are not used", fortress.get(DbSettings.PATRONI_URLS.variable()).origin(),
                    SpringDataSource.URL);
        } else if (fortress.containsKey(host) || fortress.containsKey(port)) {
            List<HostAndPort> own = candidates(fortress);
            if (!own.equals(dataSource.hosts())) {
                conflicts.add(origins(fortress, host, port) + " name " + own + " but " + SpringDataSource.URL + " names " + dataSource.hosts());
            }
        }
        for (SpringDataSource.Value value : dataSource.values().values()) {
            String variable = value.variable();
            if (variable.equals(host) || variable.equals(port)) {
                if (!patroni && !fortress.containsKey(host) && !fortress.containsKey(port)) {
                    apply(builder, variable, value.value(), value.property());
                }
                continue;
            }
            Given own = fortress.get(variable);
            if (variable.equals(DbSettings.PASSWORD.variable()) && fortress.containsKey(DbSettings.PASSWORD_FILE.variable())) {
                own = fortress.get(DbSettings.PASSWORD_FILE.variable());
                conflicts.add(own.origin() + " and " + value.property() + " both give the password; set one of them");
            } else if (own == null) {
                apply(builder, variable, value.value(), value.property());
            } else if (!same(variable, own.value(), value.value())) {
                boolean secret = variable.equals(DbSettings.PASSWORD.variable());
                conflicts.add(own.origin() + (secret ? "" : "=" + own.value().strip()) + " but " + value.property()
                        + (secret ? " give different passwords" : "=" + value.value()));
            }
        }
        if (!conflicts.isEmpty()) {
            throw new FortressStartupException("fortress's settings and spring.datasource name different databases: "
                    + String.join("; ", conflicts) + ".",
                    "Point both at the same database, or keep one of them: unset the fortress.* properties and DB_* variables named "
                            + "above to use spring.datasource, or remove " + SpringDataSource.URL + " (and its username and password) to "
                            + "use fortress's settings.", null);
        }
    }

    /** The primary's candidates as fortress's own settings give them (DB_HOST's default is localhost, DB_PORT's 5432). */
    private static List<HostAndPort> candidates(Map<String, Given> fortress) {
        Given host = fortress.get(DbSettings.HOST.variable());
        Given port = fortress.get(DbSettings.PORT.variable());
        int defaultPort;
        try {
            defaultPort = port == null ? DbSettings.PORT.defaultValue() : Integer.parseInt(port.value().strip());
        } catch (NumberFormatException e) {
            return List.of(); // DbConfig has refused it already
        }
        return Arrays.stream((host == null ? DbSettings.HOST.defaultValue() : host.value()).split(","))
                .map(h -> HostAndPort.parse(h, defaultPort)).toList();
    }

    private static String origins(Map<String, Given> fortress, String... variables) {
        return String.join(" and ", Arrays.stream(variables).map(fortress::get).filter(Objects::nonNull)
                .map(g -> g.origin() + "=" + g.value().strip()).toList());
    }

    /** Whether two texts are the same value of a setting (5432 and 5432, 30s and 30000ms). */
    private static boolean same(String variable, String a, String b) {
        Setting<?> setting = DbSettings.ALL.stream().filter(s -> variable.equals(s.variable())).findFirst().orElseThrow();
        try {
            return Objects.equals(setting.parseVariable(a), setting.parseVariable(b));
        } catch (RuntimeException refused) {
            return a.strip().equals(b.strip());
        }
    }

    private static void apply(DbConfig.Builder builder, String variable, String value, String origin) {
        try {
            builder.applyEnv(Map.of(variable, value));
        } catch (DbConfigException e) {
            throw new DbConfigException(origin.equals(variable) ? e.getMessage() : origin + ": " + e.getMessage());
        }
    }

    /**
     * Where the primary's address came from, for the message of a failed start-up: the fortress
     * settings, spring.datasource.url, or fortress's defaults.
     */
    static String addressOrigin(Environment spring, Map<String, String> processEnvironment) {
        Map<String, Given> fortress = fortressSettings(spring, processEnvironment);
        if (fortress.containsKey(DbSettings.PATRONI_URLS.variable())) {
            return "the members Patroni lists at " + origins(fortress, DbSettings.PATRONI_URLS.variable());
        }
        if (fortress.containsKey(DbSettings.HOST.variable()) || fortress.containsKey(DbSettings.PORT.variable())) {
            return origins(fortress, DbSettings.HOST.variable(), DbSettings.PORT.variable());
        }
        if (SpringDataSource.isSet(spring)) {
            return SpringDataSource.describe(spring);
        }
        return "fortress's defaults (localhost:5432, database fortress, user postgres): none of " + SpringDataSource.URL
                + ", fortress.host or DB_HOST is set";
    }
}
