package io.fortress.db.api;

/** A setting has a value that is refused; the message names the setting, its variable and what is accepted. */
public class DbConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public DbConfigException(String message) {
        super(message);
    }
}
