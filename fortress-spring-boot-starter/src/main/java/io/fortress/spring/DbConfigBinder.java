package io.fortress.spring;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;
import java.util.Map;
import org.springframework.core.env.Environment;

/**
 * Builds the {@link DbConfig} of the application: the DB_* variables of the process, then the
 * {@code fortress.*} properties, which win. Both go through DbConfig's own parsing and checks; a
 * refused property is named as the property.
 */
final class DbConfigBinder {
    private DbConfigBinder() {
    }

    /** The property of a setting: {@code fortress.} and its name in kebab case ({@code maxOpenConns} → {@code fortress.max-open-conns}). */
    static String property(Setting<?> setting) {
        return "fortress." + setting.name().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    static DbConfig bind(Environment spring, Map<String, String> processEnvironment) {
        DbConfig.Builder builder = DbConfig.builder().applyEnv(processEnvironment);
        for (Setting<?> setting : DbSettings.ALL) {
            String property = property(setting);
            String value = spring.getProperty(property);
            if (value == null || value.isBlank()) {
                continue;
            }
            try {
                builder.applyEnv(Map.of(setting.variable(), value));
            } catch (DbConfigException e) {
                throw new DbConfigException(property + ": " + e.getMessage());
            }
        }
        return builder.build();
    }
}
