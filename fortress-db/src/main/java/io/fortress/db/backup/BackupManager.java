package io.fortress.db.backup;

import io.fortress.db.Database;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
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
 */
public final class BackupManager {
    private static final Logger LOG = LoggerFactory.getLogger(BackupManager.class);

    private final BackupContext ctx;
    private final Dumper dumper;
    private final Verifier verifier;
    private final Restorer restorer;
    private final RetentionPolicy retention;
    private final AtomicReference<BackupStats> stats = new AtomicReference<>(BackupStats.initial());
    /** The remote repository (BACKUP_REMOTE); null without one. */
    private final RemoteRepository remote;
    private final RemoteUploads uploads = new RemoteUploads();
    private final java.util.concurrent.atomic.AtomicLong remoteUnreadable = new java.util.concurrent.atomic.AtomicLong(-1);
    private final java.util.concurrent.atomic.LongAdder verificationsPassed = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder verificationsFailed = new java.util.concurrent.atomic.LongAdder();
    /** When this manager was made: the start of the wait for a first good backup when the folder held none. */
    private final Instant madeAt;

    private BackupManager(Database database, BackupConfig config, Clock clock, MeterRegistry registry, RemoteStore remoteStore) {
        this.ctx = new BackupContext(database.config(), config, new BackupStore(config.backupDir()), new ServerAccess(database),
                new PgToolLocator(config.pgBin()), clock);
        ctx.store().checkNotShared();
        this.madeAt = clock.instant();
        newestGood().ifPresent(b -> stats.set(BackupStats.startingFrom(b)));
        this.dumper = new Dumper(ctx);
        this.verifier = new Verifier(ctx);
        this.restorer = new Restorer(ctx, verifier);
        this.retention = new RetentionPolicy(config);
        this.remote = config.remote().map(location -> new RemoteRepository(remoteStore != null ? remoteStore : new S3Store(config),
                location, EncryptionKeys.load(config))).orElse(null);
        if (registry != null) {
            BackupMetrics.bind(registry, ctx.database(), this);
        }
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
        return ctx.database();
    }

    public BackupConfig config() {
        return ctx.config();
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
    @SuppressWarnings("try") // the lock is held, not used
    public BackupInfo backup(ProgressListener listener) {
        Instant started = ctx.clock().instant();
        long t0 = System.nanoTime();
        try (ProgressTracker progress = new ProgressTracker(listener, p -> stats.updateAndGet(s -> s.progressing(p)))) {
            DumpTools dump = dumpTools();
            ctx.store().ensureWritable();
            try (BackupLock lock = lock("backup")) {
                BackupInfo dumped = dumper.dump(dump.server(), dump.tools(), dump.compress(), progress);
                BackupInfo backup = dumped;
                Optional<VerifyLevel> level = ctx.config().verifyAfterBackup();
                if (level.isPresent()) {
                    VerificationReport report = counted(verifier.verify(dumped, level.get(), progress));
                    if (!report.passed()) {
                        throw new BackupVerificationException(report);
                    }
                    backup = ctx.store().read(dumped.manifestPath()).orElse(dumped);
                }
                BackupInfo done = backup;
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                progress.phase(BackupPhase.DONE);
                stats.updateAndGet(s -> s.succeeded(ctx.clock().instant(), done.id(), took, done.sizeBytes()));
                LOG.info("backup {} of database {}: {} in {} ms, {}", done.id(), ctx.database(),
                        BackupProgress.humanBytes(done.sizeBytes()), took.toMillis(), done.status());
                if (remote != null) {
                    try {
                        uploadPendingLocked();
                    } catch (BackupException e) {
                        // the local backup stands; the copy is retried by the next run (or `fortress backup upload`)
                        LOG.warn("backup {} is kept in {} but not yet copied: {}", done.id(), ctx.store().dir(), e.getMessage());
                    }
                    return ctx.store().read(done.manifestPath()).orElse(done);
                }
                return done;
            }
        } catch (BackupInProgressException e) {
            throw e; // not a failed run: the running one will report
        } catch (RuntimeException e) {
            stats.updateAndGet(s -> s.failed(ctx.clock().instant(), e.getMessage()));
            LOG.error("backup of database {} started {} failed: {}", ctx.database(), started, e.getMessage());
            throw e;
        }
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
        return dumpTools().tools().describe("pg_dump");
    }

    /** The server's version, the tools chosen for it and pg_dump's compression argument. */
    private DumpTools dumpTools() {
        PgVersion server = ctx.server().serverVersion();
        ClientTools tools = ctx.toolsForServer(server);
        Optional<String> compress = ctx.config().compression().pgDumpArgument(tools.version().majorNumber(), tools.describe("pg_dump"));
        return new DumpTools(server, tools, compress);
    }

    private record DumpTools(PgVersion server, ClientTools tools, Optional<String> compress) {
    }

    /** This database's backups with a valid manifest, newest first (by the manifest's start time). */
    public List<BackupInfo> listBackups() {
        return ctx.store().list(ctx.database());
    }

    /** Every backup with a valid manifest in the backup folder, of any database, newest first. */
    public List<BackupInfo> listAllBackups() {
        return ctx.store().list(null);
    }

    /**
     * The backup named by a path (its archive, folder or manifest) or by its id in the backup folder.
     *
     * @throws BackupException when there is none, or its manifest is not valid
     */
    public BackupInfo find(String pathOrId) {
        return ctx.store().resolve(pathOrId);
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
        try (ProgressTracker progress = untracked(listener)) {
            return restorer.restore(info, options, progress);
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
        try (ProgressTracker progress = untracked(listener)) {
            VerificationReport report = counted(verifier.verify(info, level, progress));
            if (!report.passed()) {
                LOG.error("{}", report.summary());
                throw new BackupVerificationException(report);
            }
            return report;
        }
    }

    /** What {@link #cleanupOldBackups()} would delete now, and why; deletes nothing. */
    public RetentionPlan planCleanup() {
        return retention.plan(ctx.database(), listBackups(), ctx.clock().instant(), true);
    }

    /**
     * Deletes this database's backups that no retention rule keeps (manifest first, then data), and
     * sweeps leftovers of interrupted runs when no backup is running.
     *
     * @return the plan carried out: {@link RetentionPlan#deleted()} are gone
     */
    public RetentionPlan cleanupOldBackups() {
        RetentionPlan plan = retention.plan(ctx.database(), listBackups(), ctx.clock().instant(), false);
        for (RetentionPlan.Decision d : plan.decisions()) {
            if (d.delete()) {
                ctx.store().delete(d.backup());
                LOG.info("deleted backup {} ({})", d.id(), String.join("; ", d.reasons()));
            }
        }
        Optional<BackupLock> lock = BackupLock.tryAcquire(ctx.store().dir(), ctx.database(), "cleanup");
        lock.ifPresent(l -> {
            try (l) {
                ctx.store().sweep(ctx.database());
                sweepDownloads();
            }
        });
        return plan;
    }

    /** Pins a backup (cleanup never deletes it) or unpins it; returns it as now recorded. */
    public BackupInfo pin(Path backup, boolean pinned) {
        BackupInfo info = find(backup.toString());
        ctx.store().writeManifest(info.manifest().withPinned(pinned));
        return find(info.manifestPath().toString());
    }

    /** Whether a remote repository (BACKUP_REMOTE) is configured. */
    public boolean hasRemote() {
        return remote != null;
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
        requireRemote();
        try (BackupLock lock = lock("upload")) {
            return uploadPendingLocked();
        }
    }

    private List<BackupInfo> uploadPendingLocked() {
        List<BackupInfo> pending = new java.util.ArrayList<>(pendingUploads());
        java.util.Collections.reverse(pending); // oldest first
        List<BackupInfo> copied = new java.util.ArrayList<>();
        List<String> failures = new java.util.ArrayList<>();
        long t0 = System.nanoTime();
        try {
            List<String> swept = remote.sweep(ctx.database());
            if (!swept.isEmpty()) {
                LOG.info("removed leftovers of interrupted uploads from {}: {}", remote.describe(), swept);
            }
        } catch (java.io.IOException | RuntimeException e) {
            uploads.failed();
            throw new BackupException("cannot reach " + remote.describe() + " (" + pending.size() + " backup(s) not yet copied stay "
                    + "pending): " + e.getMessage(), e);
        }
        for (BackupInfo b : pending) {
            // one backup that cannot be copied must not hold back the newer ones
            try {
                BackupManifest recorded = remote.upload(b, ctx.store().dir(), ctx.clock().instant(), uploads::uploaded);
                // re-read: a pin or a verification may have changed the manifest while the copy was made
                BackupManifest now = ctx.store().read(b.manifestPath()).map(BackupInfo::manifest).orElse(b.manifest());
                ctx.store().writeManifest(now.withUploaded(Instant.parse(recorded.uploadedAt()), recorded.keyFingerprint(),
                        recorded.uploadedTo()));
                copied.add(ctx.store().read(b.manifestPath()).orElse(b));
                LOG.info("copied backup {} to {}{}", b.id(), remote.describe(),
                        recorded.keyFingerprint() == null ? "" : " (encrypted with key " + recorded.keyFingerprint() + ")");
            } catch (java.io.IOException | RuntimeException e) {
                failures.add(b.id() + ": " + e.getMessage());
                LOG.warn("backup {} was not copied to {}: {}", b.id(), remote.describe(), e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            uploads.failed();
            throw new BackupException("copying backups to " + remote.describe() + " failed for " + failures.size() + " of "
                    + pending.size() + " (they stay pending): " + String.join("; ", failures));
        }
        uploads.finished(Duration.ofNanos(System.nanoTime() - t0));
        return copied;
    }

    /** Good local backups not yet copied to the remote repository, newest first (none without one). */
    public List<BackupInfo> pendingUploads() {
        if (remote == null) {
            return List.of();
        }
        String location = ctx.config().remote().orElseThrow().toString();
        return listBackups().stream().filter(b -> b.status().isGood() && !b.manifest().uploadedTo(location)).toList();
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
        requireRemote();
        try {
            RemoteCopies copies = remote.list(ctx.database());
            remoteUnreadable.set(copies.unreadable().size());
            return copies;
        } catch (java.io.IOException e) {
            throw new BackupException("cannot list the copies in " + remote.describe() + ": " + e.getMessage(), e);
        }
    }

    /** Remote copies with an unreadable manifest at the last listing (-1: not listed yet), for the meter. */
    long remoteUnreadable() {
        return remoteUnreadable.get();
    }

    /**
     * Downloads a remote copy (decrypting and checking every file against its manifest), verifies it
     * to {@code level} as a local backup would be, and removes the download.
     *
     * @throws BackupVerificationException when the copy is damaged or fails a level
     */
    public VerificationReport verifyRemote(String id, VerifyLevel level, ProgressListener listener) {
        return withDownload(id, (local, downloaded) -> {
            try (ProgressTracker progress = untracked(listener)) {
                VerificationReport report = counted(new Verifier(local).verify(downloaded, level, progress));
                if (!report.passed()) {
                    LOG.error("{}", report.summary());
                    throw new BackupVerificationException(report);
                }
                return report;
            }
        });
    }

    /** Restores a remote copy after downloading and checking it; see {@link #restore(Path, RestoreOptions, ProgressListener)}. */
    public RestoreResult restoreRemote(String id, RestoreOptions options, ProgressListener listener) {
        return withDownload(id, (local, downloaded) -> {
            try (ProgressTracker progress = untracked(listener)) {
                return new Restorer(local, new Verifier(local)).restore(downloaded, options, progress);
            }
        });
    }

    private <T> T withDownload(String id, java.util.function.BiFunction<BackupContext, BackupInfo, T> use) {
        requireRemote();
        ManifestPaths.checkId(id);
        ctx.store().ensureWritable();
        Path dir = null;
        try {
            dir = Files.createTempDirectory(ctx.store().dir(), ".remote-" + id + "-");
            BackupInfo downloaded;
            try {
                downloaded = remote.download(id, dir);
            } catch (java.io.IOException e) {
                throw new BackupVerificationException(counted(VerificationReport.failedDownload(id, remote.describe(),
                        VerifyLevel.CHECKSUMS, e.getMessage())));
            }
            BackupContext local = new BackupContext(ctx.db(), ctx.config(), new BackupStore(dir), ctx.server(), ctx.locator(), ctx.clock());
            return use.apply(local, downloaded);
        } catch (java.io.IOException e) {
            throw new BackupException("cannot make a folder for the download in " + ctx.store().dir() + ": " + e.getMessage(), e);
        } finally {
            if (dir != null) {
                BackupFiles.deleteQuietly(dir);
            }
        }
    }

    /**
     * Removes the decrypted downloads of remote verifications and restores that were killed: folders
     * {@code .remote-*} older than twice BACKUP_TIMEOUT (a day when it is 0), which no live run still uses.
     */
    private void sweepDownloads() {
        Duration age = ctx.timeout().isZero() ? Duration.ofDays(1) : ctx.timeout().multipliedBy(2);
        Instant before = ctx.clock().instant().minus(age);
        try (java.util.stream.Stream<Path> entries = Files.list(ctx.store().dir())) {
            for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(".remote-")).toList()) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
                    BackupFiles.deleteQuietly(p);
                    LOG.info("removed the leftover download {}", p);
                }
            }
        } catch (java.io.IOException e) {
            LOG.debug("sweeping leftover downloads failed: {}", e.getMessage());
        }
    }

    /** What {@link #cleanupRemote()} would delete now, and why; deletes nothing. */
    public RetentionPlan planRemoteCleanup() {
        RemoteCopies copies = listRemoteCopies();
        return RetentionPolicy.remote(ctx.config()).plan(ctx.database(), copies.readable(), ctx.clock().instant(), true)
                .withUnreadable(copies.unreadable());
    }

    /**
     * Deletes the remote copies no remote retention rule keeps (BACKUP_REMOTE_RETENTION_DAYS,
     * BACKUP_REMOTE_MIN_KEEP, pins), manifest first, and sweeps leftovers of interrupted uploads.
     */
    public RetentionPlan cleanupRemote() {
        requireRemote();
        try (BackupLock lock = lock("remote cleanup")) {
            RemoteCopies copies = listRemoteCopies();
            RetentionPlan plan = RetentionPolicy.remote(ctx.config()).plan(ctx.database(), copies.readable(), ctx.clock().instant(), false)
                    .withUnreadable(copies.unreadable());
            if (!copies.unreadable().isEmpty()) {
                LOG.warn("{} remote copies of {} in {} have a manifest that cannot be read or authenticated; they are kept and "
                        + "counted, never deleted by retention: {}", copies.unreadable().size(), ctx.database(), remote.describe(),
                        copies.unreadable().stream().map(RemoteCopies.Unreadable::id).toList());
            }
            for (RetentionPlan.Decision d : plan.decisions()) {
                if (d.delete()) {
                    remote.delete(ctx.database(), d.id());
                    LOG.info("deleted the remote copy {} ({})", d.id(), String.join("; ", d.reasons()));
                }
            }
            remote.sweep(ctx.database());
            return plan;
        } catch (java.io.IOException e) {
            throw new BackupException("remote cleanup in " + remote.describe() + " failed: " + e.getMessage(), e);
        }
    }

    private VerificationReport counted(VerificationReport report) {
        (report.passed() ? verificationsPassed : verificationsFailed).increment();
        return report;
    }

    /** Verifications run by this manager (after backups, on request, of remote copies) that passed, or failed. */
    long verifications(boolean passed) {
        return (passed ? verificationsPassed : verificationsFailed).sum();
    }

    /** Bytes sent, failures and the last run's duration of this manager's uploads so far, for the meters. */
    RemoteUploads uploads() {
        return uploads;
    }

    private void requireRemote() {
        if (remote == null) {
            throw new BackupException("no remote repository is configured: set BACKUP_REMOTE=s3://<bucket>[/<prefix>] "
                    + "(and BACKUP_REMOTE_ENDPOINT for a server other than AWS)");
        }
    }

    /** The newest backup of this database in the folder that is not corrupt; empty when the folder cannot be read. */
    private Optional<BackupInfo> newestGood() {
        try {
            return listBackups().stream().filter(b -> b.status().isGood()).findFirst();
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
        return stats().lastSuccessAt().isPresent() ? Optional.empty() : Optional.of(madeAt);
    }

    /** Outcomes of this manager's backups so far, and the progress of one running now (verify and restore are not backups). */
    public BackupStats stats() {
        return stats.get();
    }

    /** Progress of a verification or restore: for the caller's listener only, never the backup stats and meters. */
    private static ProgressTracker untracked(ProgressListener listener) {
        return new ProgressTracker(listener, p -> { });
    }

    private BackupLock lock(String purpose) {
        return BackupLock.tryAcquire(ctx.store().dir(), ctx.database(), purpose).orElseThrow(() -> new BackupInProgressException(
                "another backup of database " + ctx.database() + " is running (" + BackupLock.holder(ctx.store().dir(), ctx.database())
                        + "); wait for it to finish"));
    }

    @Override
    public String toString() {
        return "BackupManager{database=" + ctx.database() + ", dir=" + ctx.store().dir() + "}";
    }

    /** Options of a manager beyond its database and settings. */
    public static final class Builder {
        private final Database database;
        private final BackupConfig config;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry registry;
        private RemoteStore remoteStore;

        private Builder(Database database, BackupConfig config) {
            this.database = java.util.Objects.requireNonNull(database, "database");
            this.config = java.util.Objects.requireNonNull(config, "config");
        }

        /** The clock backup ids, manifest times and retention use (UTC system clock by default). */
        public Builder clock(Clock clock) {
            this.clock = java.util.Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Registers the backup meters ({@code fortress_backup_*}, tag database) in this registry. */
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
