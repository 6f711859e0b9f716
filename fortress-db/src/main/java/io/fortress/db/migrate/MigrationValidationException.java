package io.fortress.db.migrate;

import java.util.List;

/**
 * Migrating was refused before anything ran, because validation found errors: an applied file
 * changed, a file sits below the current version, the database is at a version the source does not
 * know, or a file to run breaks a rule. Each finding says how to repair it.
 */
public class MigrationValidationException extends MigrationException {
    private static final long serialVersionUID = 1L;
    private final transient List<Finding> findings;

    MigrationValidationException(List<Finding> findings) {
        super("migration refused: " + String.join("; ", findings.stream().map(Finding::message).toList()));
        this.findings = List.copyOf(findings);
    }

    /** The error findings that stopped the migration. */
    public List<Finding> findings() {
        return findings;
    }
}
