package io.fortress.spring;

/**
 * fortress cannot start with the application's settings: what is wrong ({@link #getMessage()}) and
 * what to do ({@link #action()}), shown by {@link FortressStartupFailureAnalyzer} instead of a stack trace.
 */
public final class FortressStartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String action;

    FortressStartupException(String description, String action, Throwable cause) {
        super(description, cause);
        this.action = action;
    }

    /** What the user should change. */
    public String action() {
        return action;
    }
}
