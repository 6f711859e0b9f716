package io.fortress.db.backup;

/** A backup failed verification; {@link #report()} says which level failed and why. */
public class BackupVerificationException extends BackupException {
    private static final long serialVersionUID = 1L;
    private final transient VerificationReport report;

    public BackupVerificationException(VerificationReport report) {
        super(report.summary());
        this.report = report;
    }

    public VerificationReport report() {
        return report;
    }
}
