package io.fortress.db.backup;

import io.fortress.db.internal.backup.PitrCommand;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Point-in-time recovery of the manager's cluster with pgBackRest (BACKUP_PITR=true): continuous WAL
 * archiving plus physical base backups, restorable to any moment the archive covers. Reached through
 * {@link BackupManager#pointInTime()}.
 *
 * <pre>{@code
 * PointInTime pitr = backups.pointInTime();
 * pitr.setUpArchiving(restartPrimary);               // stanza, archive_mode/archive_command, check
 * pitr.backup(BaseBackupType.FULL);                  // from the standby when one streams
 * BaseBackups window = pitr.list();                  // restorable from ... up to ...
 * RestoreDrillReport drill = pitr.drill();           // restores into a throw-away server and checks it
 * try (RestoredCluster r = pitr.restore(RecoveryTarget.time(beforeTheMistake), Path.of("/srv/restored"), false)) {
 *     // a separate server on r.port(); the running cluster is not touched
 * }
 * }</pre>
 *
 * <p>The primary is asked for its data directory and version on first use, so DB_USER must be a
 * superuser, and pgBackRest runs on the primary's host as the data directory's owner. Thread-safe.
 */
public final class PointInTime {
    private final PitrCommand command;

    PointInTime(PitrCommand command) {
        this.command = Objects.requireNonNull(command);
    }

    /**
     * Creates the stanza, sets archive_mode and archive_command on the primary and checks that a WAL
     * segment reaches the repository; safe to repeat.
     *
     * @param restartPrimary restarts the primary, called only when archive_mode was off (it takes effect only at a start)
     * @return whether the primary was restarted
     * @throws BackupException naming the step that failed
     */
    public boolean setUpArchiving(Runnable restartPrimary) {
        return command.setUpArchiving(restartPrimary);
    }

    /**
     * What a DBA puts in postgresql.conf and pgbackrest.conf to archive this cluster by hand, with every
     * key left out: pgBackRest reads those from {@code PGBACKREST_*} environment variables the text names.
     */
    public String setupInstructions() {
        return command.setupInstructions();
    }

    /**
     * Takes a base backup: from the standby (BACKUP_PITR_STANDBY_DIR/PORT) when it is streaming, else from the primary.
     *
     * @return the backup as the repository lists it
     */
    public BaseBackupInfo backup(BaseBackupType type) {
        return command.backup(type);
    }

    /** The base backups and the restorable window (oldest to newest point). */
    public BaseBackups list() {
        return command.list();
    }

    /** The primary's archiver now: the live recovery point objective and failures. */
    public ArchiveState archiveState() {
        return command.archiveState();
    }

    /**
     * The archiver as read at most 10 seconds ago (the age of the last archived file brought up to now): for views
     * polled often, such as a status page, which should not open a connection to the primary each time.
     *
     * @throws BackupException when that read failed
     */
    public ArchiveState recentArchiveState() {
        return command.recentArchiveState();
    }

    /**
     * Runs a restore drill: verifies the repository, restores the latest base backup and the archive up to now
     * into a throw-away server in a new folder of BACKUP_PITR_WORK_DIR, compares every table's row count with the
     * primary's (tables written meanwhile excepted), then removes the server and its folder. The primary must be
     * up. The outcome also feeds the {@code fortress_pitr_last_drill_*} meters.
     *
     * @return what the drill found; a failed check is in its problems, not thrown
     * @throws BackupException when the drill could not run (the primary or the repository cannot be reached)
     */
    public RestoreDrillReport drill() {
        return command.drill();
    }

    /** A scheduled backup run's part (BackupSchedule): a base backup, expiry, and a drill when one is due; failures are logged. */
    void scheduledRun() {
        command.scheduledRun();
    }

    /** The newest base backup the last listing or backup of this manager saw, without asking the repository. */
    public java.util.Optional<BaseBackupInfo> newestKnownBase() {
        return command.newestKnown();
    }

    /** The report of the last drill this manager ran, when any. */
    public java.util.Optional<RestoreDrillReport> lastDrill() {
        return command.lastDrill();
    }

    /** Removes base backups and WAL beyond BACKUP_PITR_RETENTION_FULL full backups. */
    public void expire() {
        command.expire();
    }

    /**
     * Restores into a new data directory and starts it as a separate server on a free port of the
     * primary's host, promoted and not archiving. The primary's current WAL is pushed into the archive
     * first, so a target up to now is reachable.
     *
     * @param target          where replay stops
     * @param targetDirectory a new or empty folder outside the cluster's data directories
     * @param keepRunning     leave the server running when this JVM ends (else it is stopped then)
     * @throws BackupException when the folder is not empty, the target lies outside the restorable window, or the server does not start
     */
    public RestoredCluster restore(RecoveryTarget target, Path targetDirectory, boolean keepRunning) {
        return command.restore(Objects.requireNonNull(target, "target"), Objects.requireNonNull(targetDirectory, "targetDirectory"),
                keepRunning);
    }

    @Override
    public String toString() {
        return "PointInTime";
    }
}
