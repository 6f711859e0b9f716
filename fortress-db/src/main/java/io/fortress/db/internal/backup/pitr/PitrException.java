package io.fortress.db.internal.backup.pitr;

/**
 * A point-in-time-recovery step failed: bad settings, pgBackRest ending with an error, a server that
 * would not start. The message says what happened and what to do; it never holds a secret.
 */
public class PitrException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}. */
    public PitrException(String message) {
        super(message);
    }

    /** A failure described by {@code message}, caused by {@code cause}. */
    public PitrException(String message, Throwable cause) {
        super(message, cause);
    }
}
