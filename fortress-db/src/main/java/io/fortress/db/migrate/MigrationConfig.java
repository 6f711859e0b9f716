package io.fortress.db.migrate;

import io.fortress.db.api.Configuration;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.Setting;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Immutable settings of a {@link MigrationManager}: where the version table lives, how long to wait
 * for the lock, and the timeouts of migration statements. Every setting is defined once in
 * {@link MigrationSettings}; build one with {@link #builder()} or read the environment with
 * {@link #fromEnv()}. Invalid values fail at {@link Builder#build()} naming the setting, its
 * variable, the value and what is accepted.
 */
public final class MigrationConfig extends Configuration {
    private MigrationConfig(Builder builder) {
        super(builder);
    }

    /** A builder starting from every default. */
    public static Builder builder() {
        return new Builder(null);
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
        return new Builder(this);
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

    /** Collects settings; {@link #build()} validates them all at once. */
    public static final class Builder extends Configuration.Builder<Builder, MigrationConfig> {
        private Builder(MigrationConfig from) {
            super(MigrationSettings.ALL, from);
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
        @Override
        public MigrationConfig build() {
            return new MigrationConfig(this);
        }
    }
}
