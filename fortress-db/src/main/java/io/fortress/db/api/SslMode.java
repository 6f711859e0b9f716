package io.fortress.db.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** libpq's sslmode values, weakest to strongest; pgjdbc accepts the same names. */
public enum SslMode {
    DISABLE("disable"),
    ALLOW("allow"),
    PREFER("prefer"),
    REQUIRE("require"),
    VERIFY_CA("verify-ca"),
    VERIFY_FULL("verify-full");

    private final String value;

    SslMode(String value) {
        this.value = value;
    }

    /** The libpq/pgjdbc spelling, e.g. {@code verify-full}. */
    public String value() {
        return value;
    }

    /** Parses the libpq spelling (case-insensitive). */
    public static SslMode parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (SslMode mode : values()) {
            if (mode.value.equals(s)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not an sslmode; expected one of " + names());
    }

    static String names() {
        return Arrays.stream(values()).map(SslMode::value).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return value;
    }
}
