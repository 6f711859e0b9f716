package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.RestoreOptions;
import io.fortress.db.backup.RestoreResult;
import io.fortress.db.backup.VerificationReport;
import io.fortress.db.backup.VerifyLevel;

/**
 * A way of taking backups: the seam between the backup commands and the tools that do the work.
 *
 * <p>An engine writes a backup's files into the backup folder and, last, its manifest (through
 * {@link BackupStore}); it later verifies and restores what it wrote. Everything else (listing,
 * retention, pins, uploads, the stats and meters) reads only manifests and {@link BackupInfo}s, so
 * it does not care which engine made a backup. pg_dump archives ({@link DumpEngine}) are the first
 * engine; a second (physical base backups with WAL archiving) records its own format in its
 * manifests and answers {@link #wrote} for them.
 */
public interface BackupEngine {

    /** Whether this engine wrote the backup this manifest describes (by its format). */
    boolean wrote(BackupManifest manifest);

    /**
     * Reads what a backup needs (the server's version, tools fit for it) and writes nothing, so that
     * missing or unfit tools fail before any file exists.
     *
     * @throws io.fortress.db.backup.BackupException naming what to install or change
     */
    Run prepare(BackupContext ctx);

    /** Checks a backup up to {@code level} and records the outcome in its manifest's lifecycle. */
    VerificationReport verify(BackupContext ctx, BackupInfo backup, VerifyLevel level, ProgressTracker progress);

    /** Restores a backup after checking its files against the manifest. */
    RestoreResult restore(BackupContext ctx, BackupInfo backup, RestoreOptions options, ProgressTracker progress);

    /** A prepared backup run. */
    interface Run {
        /** The tool that will take the backup, with its version, e.g. for a service's start-up check. */
        String describe();

        /** Takes the backup under the caller's lock; returns it once its manifest is written. */
        BackupInfo take(ProgressTracker progress);
    }
}
