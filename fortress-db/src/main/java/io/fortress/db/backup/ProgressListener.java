package io.fortress.db.backup;

/** Told how a backup, verification or restore progresses; called from the worker's threads, so keep it quick. */
@FunctionalInterface
public interface ProgressListener {
    void progress(BackupProgress progress);

    /** A listener that ignores everything. */
    ProgressListener NONE = p -> { };
}
