package io.fortress.spring;

import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * {@code spring.datasource.hikari.*} of an application that ran on Spring Boot's HikariCP pool. fortress
 * keeps one HikariCP pool per node, so the settings with an equivalent apply to each of them, unless
 * fortress's own setting is given; every other one is named in a start-up warning with what to set
 * instead, never dropped in silence.
 */
final class HikariSettings {
    static final String PREFIX = "spring.datasource.hikari";
    private static final Logger LOG = LoggerFactory.getLogger(HikariSettings.class);

    /** HikariCP's property (kebab case) → fortress's setting; durations are HikariCP's milliseconds. */
    private static final Map<String, Setting<?>> EQUIVALENTS = Map.of(
            "maximum-pool-size", DbSettings.MAX_OPEN_CONNS,
            "minimum-idle", DbSettings.MAX_IDLE_CONNS,
            "max-lifetime", DbSettings.CONN_MAX_LIFETIME,
            "idle-timeout", DbSettings.CONN_MAX_IDLE_TIME,
            "connection-timeout", DbSettings.POOL_TIMEOUT);

    /** Receives a value for a fortress setting (by its variable) and the property that gave it. */
    interface Target {
        void apply(String variable, String value, String property);
    }

    private HikariSettings() {
    }

    /**
     * Applies the equivalents fortress's settings leave unset ({@code given} says which are set), and
     * warns about the rest.
     */
    static void adopt(Environment spring, Predicate<String> given, Target target) {
        Map<String, String> hikari = new TreeMap<>(Binder.get(spring).bind(PREFIX, Bindable.mapOf(String.class, String.class)).orElse(Map.of()));
        hikari.forEach((key, value) -> {
            String property = PREFIX + "." + key;
            Setting<?> setting = EQUIVALENTS.get(key);
            if (setting == null) {
                LOG.warn("{} is ignored: fortress builds its own pools, one per node, and has no equivalent (its pool settings are the "
                        + "fortress.* properties of docs/configuration.md)", property);
            } else if (given.test(setting.variable())) {
                LOG.warn("{} is ignored: {} (or {}) is set and wins", property, DbConfigBinder.property(setting), setting.variable());
            } else {
                target.apply(setting.variable(), setting == DbSettings.MAX_OPEN_CONNS || setting == DbSettings.MAX_IDLE_CONNS
                        ? value : milliseconds(value), property);
            }
        });
    }

    /** HikariCP's durations are milliseconds; a value that is not a number goes on as written, for DbConfig to refuse. */
    private static String milliseconds(String value) {
        return value.strip().matches("\\d+") ? value.strip() + "ms" : value;
    }
}
