package io.fortress.db.api;

import java.util.Locale;

/** Where default-consistency reads go when no replica is healthy and within the maximum lag. */
public enum ReplicaFallback {
    /** To the primary (the default). */
    PRIMARY("primary"),
    /** To the least-lagged reachable replica, if it is within DB_MAX_FALLBACK_LAG; else to the primary. */
    LEAST_LAGGED("least-lagged");

    private final String value;

    ReplicaFallback(String value) {
        this.value = value;
    }

    public static ReplicaFallback parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (ReplicaFallback f : values()) {
            if (f.value.equals(s)) {
                return f;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a fallback; expected primary or least-lagged");
    }

    @Override
    public String toString() {
        return value;
    }
}
