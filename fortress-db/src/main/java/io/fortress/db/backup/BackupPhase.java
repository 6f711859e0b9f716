package io.fortress.db.backup;

/** The stages of a backup, verification or restore, as progress reports them. */
public enum BackupPhase {
    /** Sweeping leftovers of interrupted runs and opening the dump's snapshot (the tools are chosen and the lock taken before). */
    PREPARING,
    /** pg_dump is writing table definitions and data. */
    DUMPING,
    /** pg_dumpall is writing roles and tablespaces. */
    DUMPING_GLOBALS,
    /** Flushing to disk, checksumming, writing the manifest. */
    PUBLISHING,
    /** Checking the backup (checksums, contents, full read, restore drill). */
    VERIFYING,
    /** pg_restore is loading a database. */
    RESTORING,
    /** Finished. */
    DONE
}
