package io.fortress.db.backup;

import io.fortress.db.DbConfigException;
import io.fortress.db.Setting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Immutable settings of a {@link BackupManager}: the seed's BackupConfig (BackupDir, RetentionDays,
 * Compression, IncludeSchema, IncludeData, ParallelJobs, CustomFormat) plus retention floors,
 * verification, timeouts and where the client tools are. Every setting is defined once in
 * {@link BackupSettings}; invalid values fail at {@link Builder#build()} with a message naming the
 * setting, its variable and what is accepted.
 */
public final class BackupConfig {
    private final Map<Setting<?>, Object> values;

    private BackupConfig(Map<Setting<?>, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Reads every setting's environment variable from this process's environment. */
    public static BackupConfig fromEnv() {
        return fromEnv(System.getenv());
    }

    /**
     * Reads settings from the given variables (unset or empty variables keep their defaults).
     *
     * @throws DbConfigException naming the first variable whose value is refused
     */
    public static BackupConfig fromEnv(Map<String, String> environment) {
        return builder().applyEnv(environment).build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(values);
        return b;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        return (T) values.get(setting);
    }

    public Path backupDir() {
        return get(BackupSettings.BACKUP_DIR);
    }

    public int retentionDays() {
        return get(BackupSettings.RETENTION_DAYS);
    }

    public int minKeep() {
        return get(BackupSettings.MIN_KEEP);
    }

    public int keepDaily() {
        return get(BackupSettings.KEEP_DAILY);
    }

    public int keepWeekly() {
        return get(BackupSettings.KEEP_WEEKLY);
    }

    public int keepMonthly() {
        return get(BackupSettings.KEEP_MONTHLY);
    }

    public Compression compression() {
        return get(BackupSettings.COMPRESSION);
    }

    public BackupFormat format() {
        return get(BackupSettings.FORMAT);
    }

    /** The seed's CustomFormat: true for {@link BackupFormat#CUSTOM}. */
    public boolean customFormat() {
        return format() == BackupFormat.CUSTOM;
    }

    public boolean includeSchema() {
        return get(BackupSettings.INCLUDE_SCHEMA);
    }

    public boolean includeData() {
        return get(BackupSettings.INCLUDE_DATA);
    }

    public int parallelJobs() {
        return get(BackupSettings.PARALLEL_JOBS);
    }

    public boolean globals() {
        return get(BackupSettings.GLOBALS);
    }

    public boolean rolePasswords() {
        return get(BackupSettings.ROLE_PASSWORDS);
    }

    /** The level every new backup is verified at, or empty for none. */
    public Optional<VerifyLevel> verifyAfterBackup() {
        String s = get(BackupSettings.VERIFY_AFTER_BACKUP);
        return s.equals("none") ? Optional.empty() : Optional.of(VerifyLevel.parse(s));
    }

    public boolean rowCounts() {
        return get(BackupSettings.ROW_COUNTS);
    }

    /** Longest run of one tool; zero for no limit. */
    public Duration timeout() {
        return get(BackupSettings.TIMEOUT);
    }

    public Duration lockWaitTimeout() {
        return get(BackupSettings.LOCK_WAIT_TIMEOUT);
    }

    public Duration interval() {
        return get(BackupSettings.INTERVAL);
    }

    public Optional<Path> pgBin() {
        return Optional.ofNullable(get(BackupSettings.PG_BIN));
    }

    @Override
    public String toString() {
        return BackupSettings.ALL.stream()
                .map(s -> s.name() + "=" + s.display(values.get(s)))
                .collect(Collectors.joining(", ", "BackupConfig{", "}"));
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
            for (Setting<?> setting : BackupSettings.ALL) {
                String raw = environment.get(setting.variable());
                if (raw != null && !raw.isBlank()) {
                    values.put(setting, setting.parseVariable(raw));
                }
            }
            return this;
        }

        public Builder backupDir(Path dir) {
            return set(BackupSettings.BACKUP_DIR, dir);
        }

        public Builder retentionDays(int days) {
            return set(BackupSettings.RETENTION_DAYS, days);
        }

        public Builder minKeep(int n) {
            return set(BackupSettings.MIN_KEEP, n);
        }

        public Builder keepDaily(int n) {
            return set(BackupSettings.KEEP_DAILY, n);
        }

        public Builder keepWeekly(int n) {
            return set(BackupSettings.KEEP_WEEKLY, n);
        }

        public Builder keepMonthly(int n) {
            return set(BackupSettings.KEEP_MONTHLY, n);
        }

        public Builder compression(Compression compression) {
            return set(BackupSettings.COMPRESSION, compression);
        }

        /** The seed's {@code Compression: true|false}: pg_dump's default gzip, or none. */
        public Builder compression(boolean compress) {
            return compression(compress ? Compression.DEFAULT : Compression.NONE);
        }

        public Builder format(BackupFormat format) {
            return set(BackupSettings.FORMAT, format);
        }

        /** The seed's {@code CustomFormat}: true for custom, false for directory. */
        public Builder customFormat(boolean custom) {
            return format(custom ? BackupFormat.CUSTOM : BackupFormat.DIRECTORY);
        }

        public Builder includeSchema(boolean include) {
            return set(BackupSettings.INCLUDE_SCHEMA, include);
        }

        public Builder includeData(boolean include) {
            return set(BackupSettings.INCLUDE_DATA, include);
        }

        public Builder parallelJobs(int jobs) {
            return set(BackupSettings.PARALLEL_JOBS, jobs);
        }

        public Builder globals(boolean globals) {
            return set(BackupSettings.GLOBALS, globals);
        }

        public Builder rolePasswords(boolean keep) {
            return set(BackupSettings.ROLE_PASSWORDS, keep);
        }

        /** Verification of every new backup; null for none. */
        public Builder verifyAfterBackup(VerifyLevel level) {
            return set(BackupSettings.VERIFY_AFTER_BACKUP, level == null ? "none" : level.spelling());
        }

        public Builder rowCounts(boolean count) {
            return set(BackupSettings.ROW_COUNTS, count);
        }

        public Builder timeout(Duration timeout) {
            return set(BackupSettings.TIMEOUT, timeout);
        }

        public Builder lockWaitTimeout(Duration timeout) {
            return set(BackupSettings.LOCK_WAIT_TIMEOUT, timeout);
        }

        public Builder interval(Duration interval) {
            return set(BackupSettings.INTERVAL, interval);
        }

        public Builder pgBin(Path dir) {
            return set(BackupSettings.PG_BIN, dir);
        }

        /**
         * Validates every setting and their combinations.
         *
         * @throws DbConfigException naming the first refused setting and what is accepted
         */
        public BackupConfig build() {
            Map<Setting<?>, Object> resolved = new IdentityHashMap<>();
            for (Setting<?> setting : BackupSettings.ALL) {
                resolved.put(setting, resolve(setting));
            }
            BackupConfig config = new BackupConfig(resolved);
            if (!config.includeSchema() && !config.includeData()) {
                throw new DbConfigException("includeSchema (BACKUP_INCLUDE_SCHEMA) and includeData (BACKUP_INCLUDE_DATA) are both "
                        + "false, so a backup would hold nothing; set at least one of them to true");
            }
            if (config.verifyAfterBackup().filter(l -> l == VerifyLevel.RESTORE_DRILL).isPresent() && !config.includeSchema()) {
                throw new DbConfigException("verifyAfterBackup (BACKUP_VERIFY) = restore-drill needs includeSchema "
                        + "(BACKUP_INCLUDE_SCHEMA) = true: a data-only backup cannot be restored into an empty database");
            }
            return config;
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
