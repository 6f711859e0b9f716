package io.fortress.db.migrate;

/** How a migration file runs. */
public enum TransactionMode {
    /**
     * In one transaction together with the version update and its history row: a failure leaves the
     * previous version, clean.
     */
    TRANSACTION("transaction"),
    /**
     * Statement by statement outside a transaction, because the file holds a statement PostgreSQL
     * refuses in one (CREATE INDEX CONCURRENTLY, VACUUM, ...) or its own BEGIN/COMMIT blocks; marked
     * dirty while it runs, as golang-migrate does, so a failure needs {@code force}.
     */
    NONE("none");

    private final String label;

    TransactionMode(String label) {
        this.label = label;
    }

    /** The name stored in the history table's {@code tx_mode} column. */
    public String label() {
        return label;
    }

    static TransactionMode ofLabel(String label) {
        if (label == null) {
            return null;
        }
        for (TransactionMode mode : values()) {
            if (mode.label.equals(label)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown tx_mode '" + label + "'");
    }
}
