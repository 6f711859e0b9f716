package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.util.OptionalInt;

/**
 * pgBackRest ended with an error: the exception carries its exit code and, when it printed one,
 * pgBackRest's own error code ({@code ERROR: [050]: unable to acquire lock ...}) so that callers can
 * tell a held lock from a missing stanza or a broken repository.
 */
public final class PgBackRestFailure extends BackupException {
    private static final long serialVersionUID = 1L;

    private final String command;
    private final int exitCode;
    private final Integer errorCode;

    PgBackRestFailure(String command, int exitCode, Integer errorCode, String message) {
        super(message);
        this.command = command;
        this.exitCode = exitCode;
        this.errorCode = errorCode;
    }

    /** The pgBackRest command that failed, e.g. {@code backup}. */
    public String command() {
        return command;
    }

    /** The process's exit code. */
    public int exitCode() {
        return exitCode;
    }

    /** pgBackRest's error code ({@code [050]} is 50), when it printed one. */
    public OptionalInt errorCode() {
        return errorCode == null ? OptionalInt.empty() : OptionalInt.of(errorCode);
    }
}
