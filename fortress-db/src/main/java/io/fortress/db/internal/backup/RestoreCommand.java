package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.RestoreOptions;
import io.fortress.db.backup.RestoreResult;

/** Restores a backup of the folder with the engine that wrote it. */
public final class RestoreCommand {
    private final BackupSetup setup;

    public RestoreCommand(BackupSetup setup) {
        this.setup = setup;
    }

    public RestoreResult restore(BackupInfo backup, RestoreOptions options, ProgressTracker progress) {
        return setup.engineFor(backup).restore(setup.ctx(), backup, options, progress);
    }
}
