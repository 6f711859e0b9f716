package io.fortress.db.migrate;

/**
 * Something {@link MigrationManager#validate()} found about the migration files or the database:
 * what, where, and what to do about it.
 *
 * @param severity ERROR findings stop up, down and migrate; WARNING and INFO do not
 * @param kind     what was found
 * @param version  the migration version concerned; null when none
 * @param file     the file concerned; null when none
 * @param message  what was found and how to repair it
 */
public record Finding(Severity severity, Kind kind, Long version, String file, String message) {

    /** How much a finding matters. */
    public enum Severity {
        ERROR, WARNING, INFO
    }

    /** What was found. */
    public enum Kind {
        /** An applied up file changed since it ran (its SHA-256 differs from the recorded one). */
        MODIFIED,
        /** The down file of an applied version changed since the version was applied. */
        DOWN_MODIFIED,
        /** An applied version has no file any more. */
        MISSING_FILE,
        /** The database is at a version the source has no file for. */
        UNKNOWN_DB_VERSION,
        /** A file below the database's version never ran (golang-migrate would skip it silently). */
        OUT_OF_ORDER,
        /** The version is marked dirty: a migration fortress ran outside a transaction, or any migration of another tool, failed or was interrupted. */
        DIRTY,
        /** The version table exists but has no history yet (migrated by golang-migrate); the next run adopts it. */
        NOT_ADOPTED,
        /** The version moved without fortress (golang-migrate ran); the next run records it. */
        EXTERNAL_CHANGE,
        /** The last attempt to apply this pending version failed. */
        LAST_ATTEMPT_FAILED,
        /** A statement that cannot run in a transaction shares its file with other statements. */
        NON_TRANSACTIONAL_MIXED,
        /** A statement would release the migration's advisory lock (DISCARD ALL, pg_advisory_unlock_all). */
        RELEASES_LOCK,
        /** A psql meta-command (backslash command), which only psql understands. */
        PSQL_META_COMMAND,
        /** COPY ... FROM STDIN, which needs psql to feed the data. */
        COPY_FROM_STDIN,
        /** The file cannot be split into statements (an unterminated string, name, body or comment). */
        UNPARSABLE,
        /** A version has an up file but no down file, so it cannot be rolled back. */
        MISSING_DOWN,
        /** The schema differs from what the last migration (or force) left: something changed it outside migrations. */
        SCHEMA_DRIFT
    }

    static Finding error(Kind kind, Long version, String file, String message) {
        return new Finding(Severity.ERROR, kind, version, file, message);
    }

    static Finding warning(Kind kind, Long version, String file, String message) {
        return new Finding(Severity.WARNING, kind, version, file, message);
    }

    static Finding info(Kind kind, Long version, String file, String message) {
        return new Finding(Severity.INFO, kind, version, file, message);
    }

    /** True for findings that stop migrations. */
    public boolean isError() {
        return severity == Severity.ERROR;
    }

    @Override
    public String toString() {
        return severity + " " + kind + (file != null ? " " + file : version != null ? " version " + version : "") + ": " + message;
    }
}
