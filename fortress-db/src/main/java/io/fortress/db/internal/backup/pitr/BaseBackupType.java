package io.fortress.db.internal.backup.pitr;

/** The kinds of pgBackRest base backup. */
public enum BaseBackupType {
    /** Every file. */
    FULL("full"),
    /** Files changed since the last full backup. */
    DIFF("diff"),
    /** Files changed since the last backup of any kind. */
    INCR("incr");

    private final String option;

    BaseBackupType(String option) {
        this.option = option;
    }

    /** pgBackRest's {@code --type} value. */
    public String option() {
        return option;
    }
}
