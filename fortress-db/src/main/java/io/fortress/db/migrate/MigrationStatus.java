package io.fortress.db.migrate;

import java.time.Instant;
import java.util.List;

/**
 * Every version of the source and of the history, with its state, read without writing anything or
 * taking the lock.
 *
 * @param source        where the files come from
 * @param schema        the schema migrated
 * @param table         golang-migrate's version table
 * @param version       the current version (-1: nil)
 * @param dirty         whether it is dirty
 * @param latestVersion the highest version of the source (-1: none)
 * @param pending       versions above the current one
 * @param migrations    each version, ascending
 * @param findings      what {@link MigrationManager#validate()} finds
 */
public record MigrationStatus(String source, String schema, String table, long version, boolean dirty, long latestVersion,
                              int pending, List<Entry> migrations, List<Finding> findings) {

    public MigrationStatus {
        migrations = List.copyOf(migrations);
        findings = List.copyOf(findings);
    }

    /** The state of one version. */
    public enum State {
        /** At or below the current version. */
        APPLIED,
        /** Above the current version. */
        PENDING,
        /** The current version, marked dirty. */
        DIRTY,
        /** Below the current version but never run. */
        OUT_OF_ORDER,
        /** Applied, but its files are gone from the source. */
        MISSING_FILE
    }

    /**
     * One version.
     *
     * @param version         the version
     * @param name            its identifier
     * @param file            its up file (or down file when it has no up file); null when gone
     * @param state           applied, pending, ...
     * @param checksumOk      for applied versions: whether the up file is the one recorded; null when nothing is recorded
     * @param recordedAs      how it came to be applied: up (run by fortress), external_up (run by another tool such as
     *                        golang-migrate), adopt (taken over, or adopted by hand), force (only asserted by a force);
     *                        null when pending or not yet recorded
     * @param transactionMode how its up file ran
     * @param appliedAt       when it was applied (or adopted)
     * @param appliedBy       the database role that applied it, and the client
     * @param executionMs     how long its up file took
     * @param lastError       the last failure recorded for it, if it is not applied
     */
    public record Entry(long version, String name, String file, State state, Boolean checksumOk, HistoryEntry.Kind recordedAs,
                        TransactionMode transactionMode, Instant appliedAt, String appliedBy, Long executionMs, String lastError) {
    }

    public String toJson() {
        return Json.write(this);
    }
}
