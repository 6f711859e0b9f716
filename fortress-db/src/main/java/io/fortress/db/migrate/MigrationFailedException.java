package io.fortress.db.migrate;

/**
 * A statement of a migration failed. For a migration that ran in a transaction nothing of it
 * remains and the version is the previous one, clean: fix the file and run again. For one that ran
 * outside a transaction the version is left dirty ({@link #dirty()}), as golang-migrate leaves it.
 * The history table holds the same details.
 */
public class MigrationFailedException extends MigrationException {
    private static final long serialVersionUID = 1L;
    private final long version;
    private final String file;
    private final int statement;
    private final boolean dirty;

    MigrationFailedException(String message, Throwable cause, String sqlState, long version, String file, int statement, boolean dirty) {
        super(message, cause, sqlState);
        this.version = version;
        this.file = file;
        this.statement = statement;
        this.dirty = dirty;
    }

    /** The version whose file failed. */
    public long version() {
        return version;
    }

    /** The file that failed. */
    public String file() {
        return file;
    }

    /** The 1-based index of the failing statement in the file; 0 when the failure was not in a statement of the file. */
    public int statement() {
        return statement;
    }

    /** True when the failure left the version dirty (the file ran outside a transaction). */
    public boolean dirty() {
        return dirty;
    }
}
