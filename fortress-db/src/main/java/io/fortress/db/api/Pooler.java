package io.fortress.db.api;

import java.util.Locale;

/** What sits between fortress and the servers at the addresses DB_HOST and DB_REPLICA_HOSTS name. */
public enum Pooler {
    /** Nothing: every connection is a session of the server itself (the default). */
    NONE("none"),
    /**
     * PgBouncer in transaction pooling mode: a server connection serves a client for one transaction
     * only, so nothing may rely on session state (startup options, SET, named prepared statements,
     * session advisory locks). See docs/operations.md, "Behind PgBouncer".
     */
    PGBOUNCER_TRANSACTION("pgbouncer-transaction");

    private final String value;

    Pooler(String value) {
        this.value = value;
    }

    public static Pooler parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (Pooler p : values()) {
            if (p.value.equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a pooler; expected none or pgbouncer-transaction");
    }

    @Override
    public String toString() {
        return value;
    }
}
