package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInProgressException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupPhase;
import io.fortress.db.backup.BackupProgress;
import io.fortress.db.backup.ProgressListener;
import io.fortress.db.backup.VerifyLevel;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Takes a backup: prepare the engine, lock, take, verify (BACKUP_VERIFY), record the stats, then copy what is pending. */
public final class DumpCommand {
    private static final Logger LOG = LoggerFactory.getLogger(DumpCommand.class);
    private final BackupSetup setup;
    private final VerifyCommand verify;
    private final UploadCommand upload;

    public DumpCommand(BackupSetup setup, VerifyCommand verify, UploadCommand upload) {
        this.setup = setup;
        this.verify = verify;
        this.upload = upload;
    }

    /** The tool a backup would use, chosen as a backup chooses it; writes nothing. */
    public String checkTools() {
        return setup.engine().prepare(setup.ctx()).describe();
    }

    @SuppressWarnings("try") // the lock is held, not used
    public BackupInfo backup(ProgressListener listener) {
        BackupContext ctx = setup.ctx();
        BackupCounters counters = setup.counters();
        Instant started = ctx.clock().instant();
        long t0 = System.nanoTime();
        try (ProgressTracker progress = new ProgressTracker(listener, counters::progressing)) {
            BackupEngine.Run run = setup.engine().prepare(ctx);
            ctx.store().ensureWritable();
            try (BackupLock lock = setup.lock("backup")) {
                BackupInfo backup = run.take(progress);
                Optional<VerifyLevel> level = ctx.config().verifyAfterBackup();
                if (level.isPresent()) {
                    verify.verify(ctx, backup, level.get(), progress);
                    backup = reread(backup);
                }
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                progress.phase(BackupPhase.DONE);
                counters.succeeded(ctx.clock().instant(), backup.id(), took, backup.sizeBytes());
                LOG.info("backup {} of database {}: {} in {} ms, {}", backup.id(), ctx.database(), BackupProgress.humanBytes(backup.sizeBytes()),
                        took.toMillis(), backup.status());
                if (!setup.hasRemote()) {
                    return backup;
                }
                try {
                    upload.uploadLocked();
                } catch (BackupException e) {
                    // the local backup stands; the copy is retried by the next run (or `fortress backup upload`)
                    LOG.warn("backup {} is kept in {} but not yet copied: {}", backup.id(), ctx.store().dir(), e.getMessage());
                }
                return reread(backup);
            }
        } catch (BackupInProgressException e) {
            throw e; // not a failed run: the running one will report
        } catch (RuntimeException e) {
            counters.failed(ctx.clock().instant(), e.getMessage());
            LOG.error("backup of database {} started {} failed: {}", ctx.database(), started, e.getMessage());
            throw e;
        }
    }

    /** The backup as its manifest now records it (verification and upload change the lifecycle). */
    private BackupInfo reread(BackupInfo backup) {
        return setup.ctx().store().read(backup.manifestPath()).orElse(backup);
    }
}
