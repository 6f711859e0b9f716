package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupVerificationException;
import io.fortress.db.backup.VerificationReport;
import io.fortress.db.backup.VerifyLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Verifies a backup (after a backup, on request, or a downloaded remote copy), counts the outcome, and throws when a level failed. */
public final class VerifyCommand {
    private static final Logger LOG = LoggerFactory.getLogger(VerifyCommand.class);
    private final BackupSetup setup;

    public VerifyCommand(BackupSetup setup) {
        this.setup = setup;
    }

    /**
     * Verifies a backup of the folder {@code where} up to {@code level} with the engine that wrote it.
     *
     * @return the report of a backup that passed every level
     * @throws BackupVerificationException when a level failed (the manifest records it corrupt)
     */
    public VerificationReport verify(BackupContext where, BackupInfo backup, VerifyLevel level, ProgressTracker progress) {
        return passedOrThrow(setup.engineFor(backup).verify(where, backup, level, progress));
    }

    private VerificationReport passedOrThrow(VerificationReport report) {
        setup.counters().counted(report);
        if (!report.passed()) {
            LOG.error("{}", report.summary());
            throw new BackupVerificationException(report);
        }
        return report;
    }

    /** Counts a failed report (e.g. of a copy that could not be downloaded) and returns the exception to throw. */
    public BackupVerificationException failed(VerificationReport report) {
        setup.counters().counted(report);
        return new BackupVerificationException(report);
    }
}
