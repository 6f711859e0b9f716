package io.fortress.db.migrate;

import java.util.List;

/**
 * What an operation changed.
 *
 * @param fromVersion the version before (-1: nil)
 * @param toVersion   the version after
 * @param applied     the files that ran (or version moves without a file), in order
 * @param shortBy     how many of the steps asked for did not exist (golang-migrate's ErrShortLimit); 0 otherwise
 * @param stopped     true when {@link MigrationManager#stop()} or an interrupt ended the run between two migrations
 */
public record MigrationResult(long fromVersion, long toVersion, List<Applied> applied, int shortBy, boolean stopped) {

    public MigrationResult {
        applied = List.copyOf(applied);
    }

    static MigrationResult noChange(long version) {
        return new MigrationResult(version, version, List.of(), 0, false);
    }

    /** True when nothing ran (golang-migrate's ErrNoChange). */
    public boolean noChange() {
        return applied.isEmpty() && !stopped;
    }

    /**
     * One migration that ran.
     *
     * @param version         its version
     * @param name            its identifier
     * @param direction       up or down
     * @param file            the file that ran; null for a version without a file in that direction
     * @param transactionMode in a transaction or not
     * @param statements      statements run
     * @param executionMs     how long it took
     */
    public record Applied(long version, String name, Direction direction, String file, TransactionMode transactionMode,
                          int statements, long executionMs) {
    }

    public String toJson() {
        return Json.write(this);
    }
}
