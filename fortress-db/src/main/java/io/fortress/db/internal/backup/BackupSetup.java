package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.ProgressListener;
import java.util.List;

/**
 * What the backup commands of one manager share: the context (settings, folder, server, tools,
 * clock), the engines, the remote repository (null without BACKUP_REMOTE) and the counters.
 *
 * @param engines the engines, the first taking new backups
 */
public record BackupSetup(BackupContext ctx, List<BackupEngine> engines, RemoteRepository remoteOrNull, BackupCounters counters) {

    /** The engine that takes new backups. */
    public BackupEngine engine() {
        return engines.get(0);
    }

    /**
     * The engine that wrote a backup.
     *
     * @throws BackupException when no engine here reads its format
     */
    public BackupEngine engineFor(BackupInfo backup) {
        return engines.stream().filter(e -> e.wrote(backup.manifest())).findFirst().orElseThrow(() -> new BackupException(
                "backup " + backup.id() + " has the format '" + backup.manifest().contents().format() + "', which this version cannot read"));
    }

    public boolean hasRemote() {
        return remoteOrNull != null;
    }

    /**
     * The remote repository.
     *
     * @throws BackupException saying how to configure one, when there is none
     */
    public RemoteRepository remote() {
        if (remoteOrNull == null) {
            throw new BackupException("no remote repository is configured: set BACKUP_REMOTE=s3://<bucket>[/<prefix>] "
                    + "(and BACKUP_REMOTE_ENDPOINT for a server other than AWS)");
        }
        return remoteOrNull;
    }

    /** The database's backup lock, for a run of this purpose. */
    public BackupLock lock(String purpose) {
        return BackupLock.acquire(ctx.store().dir(), ctx.database(), purpose);
    }

    /** Progress of a verification or restore: for the caller's listener only, never the backup stats and meters. */
    public static ProgressTracker untracked(ProgressListener listener) {
        return new ProgressTracker(listener, p -> { });
    }

    /** This database's backups with a valid manifest, newest first. */
    public List<BackupInfo> localBackups() {
        return ctx.store().list(ctx.database());
    }
}
