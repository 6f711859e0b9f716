package io.fortress.db.backup;

import io.fortress.db.Database;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.internal.backup.BackupContext;
import io.fortress.db.internal.backup.BackupCounters;
import io.fortress.db.internal.backup.BackupMetrics;
import io.fortress.db.internal.backup.BackupSetup;
import io.fortress.db.internal.backup.BackupStore;
import io.fortress.db.internal.backup.DumpCommand;
import io.fortress.db.internal.backup.DumpEngine;
import io.fortress.db.internal.backup.EncryptionKeys;
import io.fortress.db.internal.backup.ExpireCommand;
import io.fortress.db.internal.backup.PgToolLocator;
import io.fortress.db.internal.backup.PinCommand;
import io.fortress.db.internal.backup.PitrCommand;
import io.fortress.db.internal.backup.PitrMetrics;
import io.fortress.db.internal.backup.ProgressTracker;
import io.fortress.db.internal.backup.RemoteCommand;
import io.fortress.db.internal.backup.RemoteRepository;
import io.fortress.db.internal.backup.RemoteStore;
import io.fortress.db.internal.backup.RestoreCommand;
import io.fortress.db.internal.backup.S3Store;
import io.fortress.db.internal.backup.ServerAccess;
import io.fortress.db.internal.backup.UploadCommand;
import io.fortress.db.internal.backup.VerifyCommand;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backups of one database with the real pg_dump and pg_restore.
 *
 * <pre>{@code
 * BackupManager backups = BackupManager.create(db, BackupConfig.fromEnv());
 * BackupInfo backup = backups.backup();                    // dump, checksum, manifest, verify
 * List<BackupInfo> all = backups.listBackups();            // only backups with a valid manifest
 * backups.verifyBackup(backup.path(), VerifyLevel.RESTORE_DRILL);
 * backups.restore(backup.path(), RestoreOptions.builder().targetDatabase("test_restore").build());
 * RetentionPlan plan = backups.cleanupOldBackups();        // what was deleted and why
 * }</pre>
 *
 * <p>A backup is a standard pg_dump archive (custom or directory format) that plain pg_restore reads,
 * with a JSON manifest beside it holding checksums, versions, sizes and row counts; it exists only
 * once the manifest is written, after the data was fsynced and renamed into place. The tools run
 * from argument lists, get the password through a temporary 0600 password file (or, for a password
 * with a line break, which such a file cannot hold, their own environment), and are chosen to be at
 * least the server's major version. Two backups of one database never run at once. The
 * connection settings (host, port, user, password, database, TLS) are the Database's.
 * Thread-safe.
 *
 * <p>The manager is a facade: each operation is a command of {@code io.fortress.db.internal.backup}
 * (dump, verify, restore, upload, expire, pin, remote), and the work on archives is an engine's
 * (pg_dump's for now), so that what lists, verifies, restores and expires backups does not depend on
 * how they were taken.
 */
public final class BackupManager {
    private static final Logger LOG = LoggerFactory.getLogger(BackupManager.class);

    private final BackupSetup setup;
    private final VerifyCommand verify;
    private final UploadCommand upload;
    private final RemoteCommand remote;
    private final DumpCommand dump;
    private final RestoreCommand restore;
    private final ExpireCommand expire;
    private final PinCommand pin;
    private final PointInTime pointInTime;
    private final PitrMetrics pitrMetrics; // held: Micrometer holds the meters' state weakly

    private BackupManager(Database database, BackupConfig config, Clock clock, MeterRegistry registry, RemoteStore remoteStore) {
        BackupContext ctx = new BackupContext(database.config(), config, new BackupStore(config.backupDir()), new ServerAccess(database.config(), primary(database)),
                new PgToolLocator(config.pgBin()), clock);
        ctx.store().checkNotShared();
        RemoteRepository repository = config.remote().map(location -> new RemoteRepository(remoteStore != null ? remoteStore
                : new S3Store(config), location, EncryptionKeys.load(config))).orElse(null);
        this.setup = new BackupSetup(ctx, List.of(new DumpEngine()), repository, new BackupCounters(newestGood(ctx), clock.instant()));
        this.verify = new VerifyCommand(setup);
        this.upload = new UploadCommand(setup);
        this.remote = new RemoteCommand(setup, verify);
        this.dump = new DumpCommand(setup, verify, upload);
        this.restore = new RestoreCommand(setup);
        this.expire = new ExpireCommand(setup, remote);
        this.pin = new PinCommand(ctx.store());
        PitrCommand pitr = new PitrCommand(ctx);
        this.pointInTime = new PointInTime(pitr);
        if (registry != null) {
            BackupMetrics.bind(registry, ctx.database(), setup.counters(), upload, setup.hasRemote());
        }
        this.pitrMetrics = registry != null && config.pitr() ? PitrMetrics.bind(registry, ctx.database(), pitr, clock) : null;
    }

    /** A manager for the Database's database (its primary) with the given settings. */
    public static BackupManager create(Database database, BackupConfig config) {
        return builder(database, config).build();
    }

    public static Builder builder(Database database, BackupConfig config) {
        return new Builder(database, config);
    }

    /** The database this manager backs up. */
    public String database() {
        return setup.ctx().database();
    }

    public BackupConfig config() {
        return setup.ctx().config();
    }

    /** Takes a backup; see {@link #backup(ProgressListener)}. */
    public BackupInfo backup() {
        return backup(ProgressListener.NONE);
    }

    /**
     * Takes a backup and returns it once its manifest is written and it passed the configured
     * verification ({@code BACKUP_VERIFY}). Before any file is written, the server's version is read
     * and client tools at least as new are chosen; then the database's backup lock is taken and
     * leftovers of interrupted runs are swept.
     *
     * @throws BackupInProgressException when another backup of the database is running
     * @throws BackupVerificationException when the new backup failed verification (it stays, marked corrupt)
     * @throws BackupException for any other failure; no file of the failed run is left behind
     */
    public BackupInfo backup(ProgressListener listener) {
        return dump.backup(listener);
    }

    /**
     * Chooses the client tools a backup would use, as {@link #backup()} does first, and writes nothing:
     * a service calls it at start so that missing or too old tools, or a compression they lack, fail
     * then and not at the first scheduled backup.
     *
     * @return the pg_dump chosen, with its version
     * @throws BackupException naming the server's version and what to install or change
     */
    public String checkClientTools() {
        return dump.checkTools();
    }

    /** This database's backups with a valid manifest, newest first (by the manifest's start time). */
    public List<BackupInfo> listBackups() {
        return setup.localBackups();
    }

    /** Every backup with a valid manifest in the backup folder, of any database, newest first. */
    public List<BackupInfo> listAllBackups() {
        return setup.ctx().store().list(null);
    }

    /**
     * The backup named by a path (its archive, folder or manifest) or by its id in the backup folder.
     *
     * @throws BackupException when there is none, or its manifest is not valid
     */
    public BackupInfo find(String pathOrId) {
        return setup.ctx().store().resolve(pathOrId);
    }

    /** Restores into the manager's database, which must not exist or be empty; see {@link RestoreOptions}. */
    public RestoreResult restore(Path backup) {
        return restore(backup, RestoreOptions.defaults());
    }

    public RestoreResult restore(Path backup, RestoreOptions options) {
        return restore(backup, options, ProgressListener.NONE);
    }

    /**
     * Restores a backup after checking its checksums.
     *
     * @throws BackupVerificationException when a file does not match the manifest (nothing is touched)
     * @throws BackupException when the target holds objects and force is not set, or pg_restore fails
     *         (a database the restore created is dropped again)
     */
    public RestoreResult restore(Path backup, RestoreOptions options, ProgressListener listener) {
        BackupInfo info = find(backup.toString());
        try (ProgressTracker progress = BackupSetup.untracked(listener)) {
            return restore.restore(info, options, progress);
        }
    }

    /** Verifies checksums, contents and a full read; see {@link #verifyBackup(Path, VerifyLevel)}. */
    public VerificationReport verifyBackup(Path backup) {
        return verifyBackup(backup, VerifyLevel.FULL_READ);
    }

    public VerificationReport verifyBackup(Path backup, VerifyLevel level) {
        return verifyBackup(backup, level, ProgressListener.NONE);
    }

    /**
     * Verifies a backup up to the given level and records the outcome in its manifest (verified or corrupt).
     *
     * @return the report of a backup that passed every level
     * @throws BackupVerificationException when a level failed; {@link BackupVerificationException#report()} says which
     */
    public VerificationReport verifyBackup(Path backup, VerifyLevel level, ProgressListener listener) {
        BackupInfo info = find(backup.toString());
        try (ProgressTracker progress = BackupSetup.untracked(listener)) {
            return verify.verify(setup.ctx(), info, level, progress);
        }
    }

    /** What {@link #cleanupOldBackups()} would delete now, and why; deletes nothing. */
    public RetentionPlan planCleanup() {
        return expire.expireLocal(true);
    }

    /**
     * Deletes this database's backups that no retention rule keeps (manifest first, then data), and
     * sweeps leftovers of interrupted runs when no backup is running.
     *
     * @return the plan carried out: {@link RetentionPlan#deleted()} are gone
     */
    public RetentionPlan cleanupOldBackups() {
        return expire.expireLocal(false);
    }

    /** Pins a backup (cleanup never deletes it) or unpins it; returns it as now recorded. */
    public BackupInfo pin(Path backup, boolean pinned) {
        return pin.pin(find(backup.toString()), pinned);
    }

    /** Whether a remote repository (BACKUP_REMOTE) is configured. */
    public boolean hasRemote() {
        return setup.hasRemote();
    }

    /**
     * Copies every good local backup of the database not yet in the remote repository, oldest first,
     * after sweeping what interrupted runs left there; {@link #backup()} calls it after each backup.
     *
     * @return the backups copied now, as recorded locally after the copy
     * @throws BackupException when the repository cannot be reached (nothing is copied), or naming each
     *         backup that could not be copied (the others are; the failed ones stay pending)
     * @throws BackupInProgressException when a backup or upload of the database is running
     */
    public List<BackupInfo> uploadPending() {
        return upload.upload();
    }

    /** Good local backups not yet copied to the remote repository, newest first (none without one). */
    public List<BackupInfo> pendingUploads() {
        return upload.pending();
    }

    /**
     * The copies of this database in the remote repository whose manifest could be read, newest first.
     * Their {@link BackupInfo#path()} is the copy's key prefix.
     */
    public List<BackupInfo> listRemoteBackups() {
        return listRemoteCopies().readable();
    }

    /**
     * The copies of this database in the remote repository, readable ones newest first, and those whose
     * manifest cannot be decrypted, authenticated or parsed; the meter
     * {@code fortress_backup_remote_unreadable} shows how many the last listing found.
     */
    public RemoteCopies listRemoteCopies() {
        return remote.list();
    }

    /**
     * Downloads a remote copy (decrypting and checking every file against its manifest), verifies it
     * to {@code level} as a local backup would be, and removes the download.
     *
     * @throws BackupVerificationException when the copy is damaged or fails a level
     */
    public VerificationReport verifyRemote(String id, VerifyLevel level, ProgressListener listener) {
        try (ProgressTracker progress = BackupSetup.untracked(listener)) {
            return remote.verify(id, level, progress);
        }
    }

    /** Restores a remote copy after downloading and checking it; see {@link #restore(Path, RestoreOptions, ProgressListener)}. */
    public RestoreResult restoreRemote(String id, RestoreOptions options, ProgressListener listener) {
        try (ProgressTracker progress = BackupSetup.untracked(listener)) {
            return remote.restore(id, options, progress);
        }
    }

    /** What {@link #cleanupRemote()} would delete now, and why; deletes nothing. */
    public RetentionPlan planRemoteCleanup() {
        return expire.expireRemote(true);
    }

    /**
     * Deletes the remote copies no remote retention rule keeps (BACKUP_REMOTE_RETENTION_DAYS,
     * BACKUP_REMOTE_MIN_KEEP, pins), manifest first, and sweeps leftovers of interrupted uploads.
     */
    public RetentionPlan cleanupRemote() {
        return expire.expireRemote(false);
    }

    /**
     * Point-in-time recovery with pgBackRest (base backups, WAL archiving, restores to a time or LSN).
     *
     * @throws BackupException when BACKUP_PITR is not true
     */
    public PointInTime pointInTime() {
        if (!config().pitr()) {
            throw new BackupException("point-in-time recovery is off: set BACKUP_PITR=true and BACKUP_PITR_REPO_PATH");
        }
        return pointInTime;
    }

    /** The Database's primary, as the backup internals reach it. */
    private static ServerAccess.Primary primary(Database database) {
        return new ServerAccess.Primary() {
            @Override
            public HostAndPort primaryServerAddress() {
                return database.primaryServerAddress();
            }

            @Override
            public HostAndPort primaryAddress() {
                return database.primaryAddress();
            }

            @Override
            public Connection pooled() throws SQLException {
                return database.primaryDataSource().getConnection();
            }

            @Override
            public Connection connectTo(String databaseName, String purpose) throws SQLException {
                return database.connectTo(databaseName, purpose);
            }
        };
    }

    /** The newest backup of this database in the folder that is not corrupt; empty when the folder cannot be read. */
    private static Optional<BackupInfo> newestGood(BackupContext ctx) {
        try {
            return ctx.store().list(ctx.database()).stream().filter(b -> b.status().isGood()).findFirst();
        } catch (RuntimeException e) {
            LOG.warn("cannot look for earlier backups in {}: {}", ctx.store().dir(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * While no good backup is known (none in the folder when this manager was made, none taken since): when the
     * manager was made, the start of the wait for the first one. Empty once a backup succeeded.
     */
    public Optional<Instant> noBackupSince() {
        return setup.counters().noBackupSince();
    }

    /** Outcomes of this manager's backups so far, and the progress of one running now (verify and restore are not backups). */
    public BackupStats stats() {
        return setup.counters().stats();
    }

    @Override
    public String toString() {
        return "BackupManager{database=" + database() + ", dir=" + setup.ctx().store().dir() + "}";
    }

    /** Options of a manager beyond its database and settings. */
    public static final class Builder {
        private final Database database;
        private final BackupConfig config;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry registry;
        private RemoteStore remoteStore;

        private Builder(Database database, BackupConfig config) {
            this.database = Objects.requireNonNull(database, "database");
            this.config = Objects.requireNonNull(config, "config");
        }

        /** The clock backup ids, manifest times and retention use (UTC system clock by default). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Registers the backup meters ({@code fortress_backup_*}, and {@code fortress_pitr_*} with BACKUP_PITR; tag database) in this registry. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = registry;
            return this;
        }

        /** The object store behind BACKUP_REMOTE instead of S3 (tests put faults between the manager and S3 this way). */
        Builder remoteStore(RemoteStore store) {
            this.remoteStore = store;
            return this;
        }

        public BackupManager build() {
            return new BackupManager(database, config, clock, registry, remoteStore);
        }
    }
}
