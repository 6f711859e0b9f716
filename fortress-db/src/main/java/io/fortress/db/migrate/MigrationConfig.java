package io.fortress.db.migrate;

import io.fortress.db.DbConfigException;
import io.fortress.db.Setting;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Immutable settings of a {@link MigrationManager}: where the version table lives, how long to wait
 * for the lock, and the timeouts of migration statements. Every setting is defined once in
 * {@link MigrationSettings}; build one with {@link #builder()} or read the environment with
 * {@link #fromEnv()}. Invalid values fail at {@link Builder#build()} naming the setting, its
 * variable, the value and what is accepted.
 */
public final class MigrationConfig {
    private final Map<Setting<?>, Object> values;

    private MigrationConfig(Map<Setting<?>, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** A builder starting from every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** Every default: the connection's current schema, {@code schema_migrations}, a 2-minute lock wait. */
    public static MigrationConfig defaults() {
        return builder().build();
    }

    /** The defaults with the given schema: the usual configuration of one service. */
    public static MigrationConfig forSchema(String schema) {
        return builder().schema(schema).build();
    }

    /** Reads every setting's environment variable from this process's environment. */
    public static MigrationConfig fromEnv() {
        return fromEnv(System.getenv());
    }

    /**
     * Reads settings from the given variables (unset or empty variables keep their defaults).
     *
     * @throws DbConfigException naming the first variable whose value is refused
     */
    public static MigrationConfig fromEnv(Map<String, String> environment) {
        return builder().applyEnv(environment).build();
    }

    /** A builder holding this configuration's values, to derive another. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(values);
        return b;
    }

    /** The value of any setting (the default when it was not given). */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        return (T) values.get(setting);
    }

    /** The schema to migrate; empty means the connection's {@code current_schema()}. */
    public Optional<String> schema() {
        return Optional.ofNullable(get(MigrationSettings.SCHEMA));
    }

    public String table() {
        return get(MigrationSettings.TABLE);
    }

    /** The history table's name: {@link #table()} plus {@code _history}. */
    public String historyTable() {
        return table() + "_history";
    }

    public Duration lockTimeout() {
        return get(MigrationSettings.LOCK_TIMEOUT);
    }

    public LockKeys lockKeys() {
        return get(MigrationSettings.LOCK_KEYS);
    }

    public Duration statementTimeout() {
        return get(MigrationSettings.STATEMENT_TIMEOUT);
    }

    public Duration statementLockTimeout() {
        return get(MigrationSettings.STATEMENT_LOCK_TIMEOUT);
    }

    public Duration nonTransactionalLockTimeout() {
        return get(MigrationSettings.NON_TRANSACTIONAL_LOCK_TIMEOUT);
    }

    public boolean allowMissingDown() {
        return get(MigrationSettings.ALLOW_MISSING_DOWN);
    }

    @Override
    public String toString() {
        return MigrationSettings.ALL.stream()
                .map(s -> s.name() + "=" + s.display(values.get(s)))
                .collect(Collectors.joining(", ", "MigrationConfig{", "}"));
    }

    /** Collects settings; {@link #build()} validates them all at once. */
    public static final class Builder {
        private final Map<Setting<?>, Object> values = new IdentityHashMap<>();

        private Builder() {
        }

        /** Sets any setting; null returns it to its default. */
        public <T> Builder set(Setting<T> setting, T value) {
            if (value == null) {
                values.remove(setting);
            } else {
                values.put(setting, value);
            }
            return this;
        }

        /** Applies every setting whose variable is set (and not empty) in the given environment. */
        public Builder applyEnv(Map<String, String> environment) {
            for (Setting<?> setting : MigrationSettings.ALL) {
                String raw = environment.get(setting.variable());
                if (raw != null && !raw.isBlank()) {
                    values.put(setting, setting.parseVariable(raw));
                }
            }
            return this;
        }

        public Builder schema(String schema) {
            return set(MigrationSettings.SCHEMA, schema);
        }

        public Builder table(String table) {
            return set(MigrationSettings.TABLE, table);
        }

        public Builder lockTimeout(Duration timeout) {
            return set(MigrationSettings.LOCK_TIMEOUT, timeout);
        }

        public Builder lockKeys(LockKeys keys) {
            return set(MigrationSettings.LOCK_KEYS, keys);
        }

        public Builder statementTimeout(Duration timeout) {
            return set(MigrationSettings.STATEMENT_TIMEOUT, timeout);
        }

        public Builder statementLockTimeout(Duration timeout) {
            return set(MigrationSettings.STATEMENT_LOCK_TIMEOUT, timeout);
        }

        public Builder nonTransactionalLockTimeout(Duration timeout) {
            return set(MigrationSettings.NON_TRANSACTIONAL_LOCK_TIMEOUT, timeout);
        }

        public Builder allowMissingDown(boolean allow) {
            return set(MigrationSettings.ALLOW_MISSING_DOWN, allow);
        }

        /**
         * Validates every setting.
         *
         * @throws DbConfigException naming the first refused setting and what is accepted
         */
        public MigrationConfig build() {
            Map<Setting<?>, Object> resolved = new IdentityHashMap<>();
            for (Setting<?> setting : MigrationSettings.ALL) {
                resolved.put(setting, resolve(setting));
            }
            return new MigrationConfig(resolved);
        }

        private <T> T resolve(Setting<T> setting) {
            @SuppressWarnings("unchecked")
            T value = (T) values.get(setting);
            if (value == null) {
                return setting.defaultValue();
            }
            setting.check(value);
            return value;
        }
    }
}
