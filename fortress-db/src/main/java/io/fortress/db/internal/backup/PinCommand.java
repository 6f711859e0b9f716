package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupInfo;

/** Pins a backup (retention never deletes it) or unpins it: a change of its manifest's lifecycle. */
public final class PinCommand {
    private final BackupStore store;

    public PinCommand(BackupStore store) {
        this.store = store;
    }

    /** Returns the backup as now recorded. */
    public BackupInfo pin(BackupInfo backup, boolean pinned) {
        store.writeManifest(backup.manifest().with(backup.manifest().lifecycle().withPinned(pinned)));
        return store.readChecked(backup.manifestPath());
    }
}
