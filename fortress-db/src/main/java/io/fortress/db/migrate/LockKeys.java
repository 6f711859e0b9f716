package io.fortress.db.migrate;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which of golang-migrate's advisory-lock keys fortress takes. The golang-migrate CLI (a database
 * URL) computes its key from the database name with a leading slash ({@code /fortress}), while a Go
 * program using {@code WithInstance} uses {@code current_database()} ({@code fortress}); the two do
 * not exclude each other, so by default fortress takes both.
 */
public enum LockKeys {
    /** Both keys, in ascending order: excludes the golang-migrate CLI and Go programs alike. */
    BOTH,
    /** Only the CLI's key, from {@code "/" + current_database()}. */
    CLI,
    /** Only the library's key, from {@code current_database()}. */
    LIBRARY;

    /** The lower-case name used in settings. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static LockKeys parse(String text) {
        for (LockKeys k : values()) {
            if (k.label().equals(text.strip().toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not one of " + names());
    }

    static String names() {
        return Arrays.stream(values()).map(LockKeys::label).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label();
    }
}
