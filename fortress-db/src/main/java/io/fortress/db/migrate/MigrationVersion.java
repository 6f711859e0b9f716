package io.fortress.db.migrate;

/**
 * The database's migration version as golang-migrate records it.
 *
 * @param version the last applied version; -1 (nil) when none is
 * @param dirty   true when a migration failed or was interrupted at this version (outside a transaction in fortress; any file in golang-migrate)
 */
public record MigrationVersion(long version, boolean dirty) {
    /** No migration applied, clean. */
    public static final MigrationVersion NIL = new MigrationVersion(-1, false);

    /** True when no version is recorded. */
    public boolean isNil() {
        return version == -1;
    }

    @Override
    public String toString() {
        return (version == -1 ? "nil" : Long.toString(version)) + (dirty ? " (dirty)" : "");
    }
}
