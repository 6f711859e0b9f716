package io.fortress.db.backup;

import io.fortress.db.api.Configuration;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.Setting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Immutable settings of a {@link BackupManager}: as the Go layer's BackupConfig (BackupDir, RetentionDays,
 * Compression, IncludeSchema, IncludeData, ParallelJobs, CustomFormat) plus retention floors,
 * verification, timeouts and where the client tools are. Every setting is defined once in
 * {@link BackupSettings}; invalid values fail at {@link Builder#build()} with a message naming the
 * setting, its variable and what is accepted.
 */
public final class BackupConfig extends Configuration {
    private BackupConfig(Builder builder) {
        super(builder);
    }

    public static Builder builder() {
        return new Builder(null);
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
        return new Builder(this);
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

    /** CustomFormat: true for {@link BackupFormat#CUSTOM}. */
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
        return get(BackupSettings.VERIFY_AFTER_BACKUP);
    }

    public boolean rowCounts() {
        return get(BackupSettings.ROW_COUNTS);
    }

    /** Free space a backup needs, as a multiple of the last backup's size; zero for no check. */
    public double freeSpaceMargin() {
        return get(BackupSettings.FREE_SPACE_MARGIN);
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

    /** The remote repository backups are copied to, when one is set. */
    public Optional<RemoteLocation> remote() {
        return Optional.ofNullable(get(BackupSettings.REMOTE));
    }

    public Optional<java.net.URI> remoteEndpoint() {
        return Optional.ofNullable(get(BackupSettings.REMOTE_ENDPOINT));
    }

    public String remoteRegion() {
        return get(BackupSettings.REMOTE_REGION);
    }

    public boolean remotePathStyle() {
        return get(BackupSettings.REMOTE_PATH_STYLE);
    }

    public Optional<Path> encryptionKeyFile() {
        return Optional.ofNullable(get(BackupSettings.ENCRYPTION_KEY_FILE));
    }

    public java.util.List<Path> encryptionOldKeyFiles() {
        java.util.List<Path> files = get(BackupSettings.ENCRYPTION_OLD_KEY_FILES);
        return files == null ? java.util.List.of() : files;
    }

    /** Whether BACKUP_REMOTE may be used without BACKUP_ENCRYPTION_KEY_FILE. */
    public boolean remoteAllowPlaintext() {
        return get(BackupSettings.REMOTE_ALLOW_PLAINTEXT);
    }

    public int remoteRetentionDays() {
        return get(BackupSettings.REMOTE_RETENTION_DAYS);
    }

    public int remoteMinKeep() {
        return get(BackupSettings.REMOTE_MIN_KEEP);
    }

    /** Whether point-in-time recovery with pgBackRest is on (BACKUP_PITR). */
    public boolean pitr() {
        return get(BackupSettings.PITR);
    }

    public Optional<Path> pitrRepoPath() {
        return Optional.ofNullable(get(BackupSettings.PITR_REPO_PATH));
    }

    /** The folder of pgbackrest.conf and pgBackRest's lock, log and spool folders. */
    public Path pitrWorkDir() {
        return effective(BackupSettings.PITR_WORK_DIR);
    }

    public String pitrStanza() {
        return get(BackupSettings.PITR_STANZA);
    }

    public int pitrRetentionFull() {
        return get(BackupSettings.PITR_RETENTION_FULL);
    }

    public Optional<Path> pitrCipherKeyFile() {
        return Optional.ofNullable(get(BackupSettings.PITR_CIPHER_KEY_FILE));
    }

    public int pitrProcessMax() {
        return get(BackupSettings.PITR_PROCESS_MAX);
    }

    /** The streaming standby base backups are taken from: its data directory, when one is set. */
    public Optional<Path> pitrStandbyDir() {
        return Optional.ofNullable(get(BackupSettings.PITR_STANDBY_DIR));
    }

    /** The standby's port; 0 for none. */
    public int pitrStandbyPort() {
        return get(BackupSettings.PITR_STANDBY_PORT);
    }

    /** The certificate authority pgBackRest trusts for the S3 repository of BACKUP_REMOTE, when one is set. */
    public Optional<Path> pitrRemoteCaFile() {
        return Optional.ofNullable(get(BackupSettings.PITR_REMOTE_CA_FILE));
    }

    public Duration pitrFullInterval() {
        return get(BackupSettings.PITR_FULL_INTERVAL);
    }

    public Duration pitrDrillInterval() {
        return get(BackupSettings.PITR_DRILL_INTERVAL);
    }

    /** Collects settings; {@link #build()} validates them all at once. */
    public static final class Builder extends Configuration.Builder<Builder, BackupConfig> {
        private Builder(BackupConfig from) {
            super(BackupSettings.ALL, from);
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

        /** {@code Compression: true|false}: pg_dump's default gzip, or none. */
        public Builder compression(boolean compress) {
            return compression(compress ? Compression.DEFAULT : Compression.NONE);
        }

        public Builder format(BackupFormat format) {
            return set(BackupSettings.FORMAT, format);
        }

        /** {@code CustomFormat}: true for custom, false for directory. */
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
            return set(BackupSettings.VERIFY_AFTER_BACKUP, Optional.ofNullable(level));
        }

        public Builder rowCounts(boolean count) {
            return set(BackupSettings.ROW_COUNTS, count);
        }

        /** Free space a backup needs, as a multiple of the last backup's size; 0 turns the check off. */
        public Builder freeSpaceMargin(double margin) {
            return set(BackupSettings.FREE_SPACE_MARGIN, margin);
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

        public Builder remote(RemoteLocation location) {
            return set(BackupSettings.REMOTE, location);
        }

        public Builder remoteEndpoint(java.net.URI endpoint) {
            return set(BackupSettings.REMOTE_ENDPOINT, endpoint);
        }

        public Builder remoteRegion(String region) {
            return set(BackupSettings.REMOTE_REGION, region);
        }

        public Builder remotePathStyle(boolean pathStyle) {
            return set(BackupSettings.REMOTE_PATH_STYLE, pathStyle);
        }

        public Builder encryptionKeyFile(Path file) {
            return set(BackupSettings.ENCRYPTION_KEY_FILE, file);
        }

        public Builder encryptionOldKeyFiles(java.util.List<Path> files) {
            return set(BackupSettings.ENCRYPTION_OLD_KEY_FILES, java.util.List.copyOf(files));
        }

        public Builder remoteAllowPlaintext(boolean allow) {
            return set(BackupSettings.REMOTE_ALLOW_PLAINTEXT, allow);
        }

        public Builder remoteRetentionDays(int days) {
            return set(BackupSettings.REMOTE_RETENTION_DAYS, days);
        }

        public Builder remoteMinKeep(int n) {
            return set(BackupSettings.REMOTE_MIN_KEEP, n);
        }

        public Builder pitr(boolean on) {
            return set(BackupSettings.PITR, on);
        }

        public Builder pitrRepoPath(Path path) {
            return set(BackupSettings.PITR_REPO_PATH, path);
        }

        public Builder pitrWorkDir(Path path) {
            return set(BackupSettings.PITR_WORK_DIR, path);
        }

        public Builder pitrStanza(String stanza) {
            return set(BackupSettings.PITR_STANZA, stanza);
        }

        public Builder pitrRetentionFull(int n) {
            return set(BackupSettings.PITR_RETENTION_FULL, n);
        }

        public Builder pitrCipherKeyFile(Path file) {
            return set(BackupSettings.PITR_CIPHER_KEY_FILE, file);
        }

        public Builder pitrProcessMax(int n) {
            return set(BackupSettings.PITR_PROCESS_MAX, n);
        }

        /** The data directory of the streaming standby on this host that base backups are taken from. */
        public Builder pitrStandbyDir(Path dataDirectory) {
            return set(BackupSettings.PITR_STANDBY_DIR, dataDirectory);
        }

        /** The port of that standby. */
        public Builder pitrStandbyPort(int port) {
            return set(BackupSettings.PITR_STANDBY_PORT, port);
        }

        public Builder pitrRemoteCaFile(Path file) {
            return set(BackupSettings.PITR_REMOTE_CA_FILE, file);
        }

        public Builder pitrFullInterval(Duration interval) {
            return set(BackupSettings.PITR_FULL_INTERVAL, interval);
        }

        public Builder pitrDrillInterval(Duration interval) {
            return set(BackupSettings.PITR_DRILL_INTERVAL, interval);
        }

        /**
         * Validates every setting and their combinations.
         *
         * @throws DbConfigException naming the first refused setting and what is accepted
         */
        @Override
        public BackupConfig build() {
            BackupConfig config = new BackupConfig(this);
            BackupConfigChecks.check(config);
            return config;
        }
    }
}
