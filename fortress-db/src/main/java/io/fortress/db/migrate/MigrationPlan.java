package io.fortress.db.migrate;

import java.util.List;

/**
 * What an operation would do, computed without writing anything or taking the lock.
 *
 * @param source      where the files come from
 * @param schema      the schema migrated
 * @param fromVersion the current version (-1: nil)
 * @param dirty       whether the current version is dirty
 * @param toVersion   the version after the steps
 * @param steps       the files that would run, in order
 * @param shortBy     steps asked for that do not exist ({@code steps(n)} past the end)
 * @param findings    validation findings; any ERROR means the operation would be refused
 */
public record MigrationPlan(String source, String schema, long fromVersion, boolean dirty, long toVersion, List<Step> steps,
                            int shortBy, List<Finding> findings) {

    public MigrationPlan {
        steps = List.copyOf(steps);
        findings = List.copyOf(findings);
    }

    /** True when the operation would run (no ERROR finding). */
    public boolean runnable() {
        return findings.stream().noneMatch(Finding::isError);
    }

    /**
     * One file that would run.
     *
     * @param version         its version
     * @param name            its identifier
     * @param direction       up or down
     * @param file            the file; null for a version without a file in that direction (the version only moves)
     * @param transactionMode in a transaction or not
     * @param fromVersion     the version before
     * @param toVersion       the version after
     * @param checksum        SHA-256 of the file
     * @param statements      the statements that would run, in order
     */
    public record Step(long version, String name, Direction direction, String file, TransactionMode transactionMode,
                       long fromVersion, long toVersion, String checksum, List<String> statements) {
    }

    public String toJson() {
        return Json.write(this);
    }
}
