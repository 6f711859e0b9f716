package io.fortress.db.backup;

import java.util.Locale;

/** The kinds of physical base backup of point-in-time recovery (pgBackRest's {@code --type}). */
public enum BaseBackupType {
    /** Every file of the cluster. */
    FULL,
    /** The files changed since the last full backup. */
    DIFF,
    /** The files changed since the last backup of any kind. */
    INCR;

    /** The lower-case spelling: full, diff or incr. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * A kind from its spelling, in any case.
     *
     * @throws IllegalArgumentException naming the accepted spellings
     */
    public static BaseBackupType parse(String text) {
        for (BaseBackupType t : values()) {
            if (t.spelling().equalsIgnoreCase(text == null ? "" : text.strip())) {
                return t;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a base backup type: use full, diff or incr");
    }
}
