package io.fortress.db.migrate;

import java.time.Instant;
import java.util.Locale;

/**
 * One row of the append-only history table ({@code schema_migrations_history}) that fortress keeps
 * beside golang-migrate's {@code schema_migrations}: every migration run, failure, force, adoption
 * and change made by another tool, with who, when, how long and the file's checksum.
 *
 * @param id                 order of the events
 * @param version            the version the event is about (-1 for {@code force(-1)})
 * @param name               the migration's identifier (from the file name)
 * @param kind               what happened
 * @param status             running (a migration outside a transaction started), success or failed
 * @param fromVersion        the version before the event
 * @param toVersion          the version the event moves to (intended, for failures)
 * @param checksum           SHA-256 of the up file (line endings normalised to LF); null without one
 * @param downChecksum       SHA-256 of the down file; null without one
 * @param transactionMode    how the file ran; null for events that ran no file
 * @param statementsTotal    statements in the file that ran
 * @param statementsApplied  statements that completed
 * @param errorSqlState      SQLSTATE of a failure
 * @param errorMessage       the server's message for a failure
 * @param errorStatement     1-based index in the file of the failing statement (0: not a statement of the file)
 * @param errorStatementText the failing statement
 * @param installedBy        the database role ({@code current_user})
 * @param clientInfo         the program, OS user, host and process that ran it
 * @param startedAt          when it started (server clock)
 * @param finishedAt         when it ended; null while running
 * @param executionMs        how long it took
 */
public record HistoryEntry(long id, long version, String name, Kind kind, Status status, long fromVersion, long toVersion,
                           String checksum, String downChecksum, TransactionMode transactionMode,
                           Integer statementsTotal, Integer statementsApplied,
                           String errorSqlState, String errorMessage, Integer errorStatement, String errorStatementText,
                           String installedBy, String clientInfo, Instant startedAt, Instant finishedAt, Long executionMs) {

    /** What happened. */
    public enum Kind {
        /** An up file ran. */
        UP,
        /** A down file ran. */
        DOWN,
        /** {@code force}: the version was set without running anything; the forced version counts as applied (by the force, unless already). */
        FORCE,
        /**
         * Recorded as applied, running nothing: by the first fortress run on a database golang-migrate migrated, or by
         * {@code adopt} for a version whose changes are already in the database.
         */
        ADOPT,
        /** Another tool (golang-migrate) applied this version, or (failed) left it dirty; recorded by the next fortress run. */
        EXTERNAL_UP,
        /** Another tool rolled this version back, or (failed) left its rollback dirty; recorded by the next fortress run. */
        EXTERNAL_DOWN,
        /** {@code repairChecksum}: the current files of an applied version were accepted as the applied ones. */
        REPAIR_CHECKSUM;

        /** The value of the {@code kind} column. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind ofLabel(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }

        /** Kinds after which the version is at {@code toVersion}. */
        boolean movesVersion() {
            return this != REPAIR_CHECKSUM;
        }

        /** Recorded by fortress for what another tool (golang-migrate) did. */
        boolean isExternal() {
            return this == EXTERNAL_UP || this == EXTERNAL_DOWN;
        }
    }

    /** How the event ended. */
    public enum Status {
        RUNNING, SUCCESS, FAILED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Status ofLabel(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }
    }

    boolean succeeded() {
        return status == Status.SUCCESS;
    }
}
