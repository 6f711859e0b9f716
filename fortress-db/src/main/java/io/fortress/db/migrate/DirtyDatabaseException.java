package io.fortress.db.migrate;

/**
 * The version is marked dirty, as golang-migrate's {@code ErrDirty}: a migration that runs outside a
 * transaction failed or was interrupted, so the schema may be half-changed. Nothing moves until an
 * operator repairs the schema and calls {@link MigrationManager#force(long)}.
 */
public class DirtyDatabaseException extends MigrationException {
    private static final long serialVersionUID = 1L;
    private final long version;

    DirtyDatabaseException(long version, String details) {
        super("Dirty database version " + version + ". Fix and force version. " + details);
        this.version = version;
    }

    /** The dirty version. */
    public long version() {
        return version;
    }
}
