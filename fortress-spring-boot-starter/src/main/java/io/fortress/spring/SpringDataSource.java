package io.fortress.spring;

import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.HostAndPort;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.core.env.Environment;

/**
 * The {@code spring.datasource.*} settings of an application that already runs on plain Spring Boot,
 * read as fortress settings: the URL's hosts become the primary's candidates (pgjdbc's multi-host
 * URL means the same: the one that takes writes is used), its database, user, password and TLS
 * parameters fortress's. Replicas are not in a pgjdbc URL; they come from {@code fortress.replica-hosts}.
 * A URL that is not PostgreSQL's, or a parameter fortress would not honour, is refused naming it.
 */
final class SpringDataSource {
    static final String URL = "spring.datasource.url";
    static final String USERNAME = "spring.datasource.username";
    static final String PASSWORD = "spring.datasource.password";
    static final String DRIVER = "spring.datasource.driver-class-name";
    private static final String PREFIX = "jdbc:postgresql:";
    private static final String SHAPE = "jdbc:postgresql://host[:port][,host[:port]...]/database[?parameter=value&...]";
    /** The URL parameters taken, and the setting each becomes; the others are refused. */
    private static final Map<String, String> PARAMETERS = Map.of(
            "user", DbSettings.USER.variable(), "password", DbSettings.PASSWORD.variable(), "sslmode", DbSettings.SSL_MODE.variable(),
            "sslrootcert", DbSettings.SSL_ROOT_CERT.variable(), "sslcert", DbSettings.SSL_CERT.variable(),
            "sslkey", DbSettings.SSL_KEY.variable(), "ApplicationName", DbSettings.APPLICATION_NAME.variable(),
            "connectTimeout", DbSettings.CONNECT_TIMEOUT.variable(), "socketTimeout", DbSettings.SOCKET_TIMEOUT.variable());

    /** One fortress setting (by its variable) given by {@code spring.datasource}, and the property that gave it. */
    record Value(String variable, String value, String property) {
    }

    private final List<HostAndPort> hosts;
    private final Map<String, Value> values;

    private SpringDataSource(List<HostAndPort> hosts, Map<String, Value> values) {
        this.hosts = hosts;
        this.values = values;
    }

    /** The primary's candidates, as the URL lists them. */
    List<HostAndPort> hosts() {
        return hosts;
    }

    /** The settings it gives, by variable: DB_HOST, DB_PORT, DB_NAME and whatever else the URL and properties name. */
    Map<String, Value> values() {
        return values;
    }

    /**
     * The application's {@code spring.datasource}, or empty when {@code spring.datasource.url} is not set.
     *
     * @throws DbConfigException naming the property or URL parameter that fortress cannot take
     */
    static Optional<SpringDataSource> read(Environment spring) {
        String url = spring.getProperty(URL);
        if (url == null || url.isBlank()) {
            return Optional.empty();
        }
        String driver = spring.getProperty(DRIVER);
        if (driver != null && !driver.isBlank() && !driver.strip().equals("org.postgresql.Driver")) {
            throw new DbConfigException(DRIVER + "=" + driver.strip() + " is not PostgreSQL's driver: fortress takes org.postgresql.Driver (or leave it unset)");
        }
        url = url.strip();
        if (!url.startsWith(PREFIX)) {
            throw new DbConfigException(URL + " names " + withoutParameters(url) + ", not a PostgreSQL database: fortress takes " + SHAPE);
        }
        String rest = url.substring(PREFIX.length());
        int question = rest.indexOf('?');
        String query = question < 0 ? "" : rest.substring(question + 1);
        rest = question < 0 ? rest : rest.substring(0, question);
        String authority = "";
        String database = rest;
        if (rest.startsWith("//")) {
            int slash = rest.indexOf('/', 2);
            authority = slash < 0 ? rest.substring(2) : rest.substring(2, slash);
            database = slash < 0 ? "" : rest.substring(slash + 1);
        } else if (rest.startsWith("/")) {
            database = rest.substring(1);
        }
        database = decode(database);
        if (database.isEmpty()) {
            throw new DbConfigException(URL + " names no database: fortress takes " + SHAPE);
        }
        List<HostAndPort> hosts = new ArrayList<>();
        for (String entry : (authority.isEmpty() ? "localhost" : authority).split(",", -1)) {
            try {
                hosts.add(HostAndPort.parse(entry, DbSettings.PORT.defaultValue()));
            } catch (IllegalArgumentException e) {
                throw new DbConfigException(URL + " has a host that is not host[:port]: " + e.getMessage() + "; fortress takes " + SHAPE);
            }
        }
        Map<String, Value> values = new LinkedHashMap<>();
        put(values, DbSettings.HOST.variable(), String.join(",", hosts.stream().map(HostAndPort::toString).toList()), URL);
        put(values, DbSettings.PORT.variable(), Integer.toString(hosts.get(0).port()), URL);
        put(values, DbSettings.DATABASE.variable(), database, URL);
        parameters(query, values);
        String username = spring.getProperty(USERNAME);
        if (username != null && !username.isBlank()) {
            put(values, DbSettings.USER.variable(), username.strip(), USERNAME);
        }
        String password = spring.getProperty(PASSWORD);
        if (password != null && !password.isEmpty()) {
            put(values, DbSettings.PASSWORD.variable(), password, PASSWORD);
        }
        return Optional.of(new SpringDataSource(List.copyOf(hosts), values));
    }

    private static void parameters(String query, Map<String, Value> values) {
        if (query.isEmpty()) {
            return;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            String property = URL + " parameter " + name;
            switch (name) {
                case "targetServerType" -> {
                    // fortress writes to the candidate that takes writes: that is what primary asks for
                    if (!List.of("primary", "master", "read-write").contains(value)) {
                        throw new DbConfigException(property + "=" + value + " is refused: fortress sends writes to the primary and reads to "
                                + "the replicas of fortress.replica-hosts itself; remove it, or set it to primary");
                    }
                }
                case "ssl" -> {
                    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                        throw new DbConfigException(property + "=" + value + " is refused: expected true or false");
                    }
                    // pgjdbc: ssl=true without sslmode verifies the server fully
                    values.putIfAbsent(DbSettings.SSL_MODE.variable(), new Value(DbSettings.SSL_MODE.variable(),
                            value.equalsIgnoreCase("true") ? "verify-full" : "disable", property));
                }
                case "connectTimeout", "socketTimeout" -> put(values, PARAMETERS.get(name), seconds(property, value), property);
                default -> {
                    String variable = PARAMETERS.get(name);
                    if (variable == null) {
                        throw new DbConfigException(property + " is refused: fortress makes its own connections and takes only the "
                                + "parameters " + String.join(", ", new java.util.TreeSet<>(PARAMETERS.keySet())) + ", ssl and targetServerType=primary; "
                                + "remove it, or set the fortress.* property for it (docs/spring-boot.md)");
                    }
                    put(values, variable, value, property);
                }
            }
        }
    }

    /** pgjdbc's timeouts are whole seconds; fortress's settings are durations. */
    private static String seconds(String property, String value) {
        try {
            return Integer.parseInt(value.strip()) + "s";
        } catch (NumberFormatException e) {
            throw new DbConfigException(property + "=" + value + " is refused: expected whole seconds, as pgjdbc takes it");
        }
    }

    /** Two properties of spring.datasource naming one setting must agree (the URL's user parameter and username). */
    private static void put(Map<String, Value> values, String variable, String value, String property) {
        Value before = values.get(variable);
        if (before != null && !before.value().equals(value)) {
            throw new DbConfigException(property + " and " + before.property() + " disagree about " + variable
                    + (DbSettings.PASSWORD.variable().equals(variable) ? "" : " (" + value + " and " + before.value() + ")") + "; set one of them");
        }
        values.put(variable, new Value(variable, value, property));
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    /** The URL without its parameters, which may hold a password. */
    static String withoutParameters(String url) {
        int question = url.indexOf('?');
        return question < 0 ? url : url.substring(0, question) + "?…";
    }

    static String describe(Environment spring) {
        String url = spring.getProperty(URL, "");
        String user = spring.getProperty(USERNAME);
        return URL + "=" + withoutParameters(url.strip()) + (user == null ? "" : " (" + USERNAME + "=" + user.strip() + ")");
    }

    static boolean isSet(Environment spring) {
        String url = spring.getProperty(URL);
        return url != null && !url.isBlank();
    }
}
