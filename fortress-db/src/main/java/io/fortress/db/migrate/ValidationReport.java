package io.fortress.db.migrate;

import java.util.List;

/**
 * What {@link MigrationManager#validate()} found: the files' own problems and how they differ from
 * what the database records.
 *
 * @param findings errors first, then warnings, then information
 */
public record ValidationReport(List<Finding> findings) {

    public ValidationReport {
        findings = findings.stream().sorted(java.util.Comparator.comparing(Finding::severity)).toList();
    }

    /** True when nothing stops migrating (no ERROR finding). */
    public boolean valid() {
        return errors().isEmpty();
    }

    public List<Finding> errors() {
        return findings.stream().filter(Finding::isError).toList();
    }

    /** Findings of one kind. */
    public List<Finding> of(Finding.Kind kind) {
        return findings.stream().filter(f -> f.kind() == kind).toList();
    }

    public String toJson() {
        return Json.write(this);
    }
}
