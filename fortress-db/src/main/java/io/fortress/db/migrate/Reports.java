package io.fortress.db.migrate;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Builds the status and plan reports from the source and a database snapshot. */
final class Reports {
    private Reports() {
    }

    /** Validation findings about the database, then the files' lint. */
    static List<Finding> findings(MigrationCatalog catalog, DatabaseState state) {
        List<Finding> findings = new ArrayList<>(new Validator(catalog, state).findings());
        findings.addAll(catalog.lint());
        return findings;
    }

    static MigrationStatus status(MigrationCatalog catalog, DatabaseState state) {
        List<Finding> findings = findings(catalog, state);
        MigrationVersion current = state.version();
        HistoryLog history = state.history();
        Set<Long> versions = new TreeSet<>();
        catalog.all().forEach(m -> versions.add(m.version()));
        history.appliedVersions().stream().filter(v -> v <= current.version()).forEach(versions::add);
        if (current.version() >= 0) {
            versions.add(current.version());
        }
        List<MigrationStatus.Entry> entries = new ArrayList<>();
        int pending = 0;
        for (long v : versions) {
            Migration m = catalog.get(v);
            // a version a force moved over, with no record of its own, was applied as far as anyone says by that force
            Optional<HistoryEntry> run = history.lastRun(v).or(() -> v <= current.version() ? history.forceOver(v) : Optional.empty());
            Optional<HistoryEntry> applied = history.lastApplied(v);
            MigrationStatus.State entryState;
            if (current.dirty() && v == current.version()) {
                entryState = MigrationStatus.State.DIRTY;
            } else if (v > current.version()) {
                entryState = MigrationStatus.State.PENDING;
                pending++;
            } else if (m == null) {
                entryState = MigrationStatus.State.MISSING_FILE;
            } else if (findings.stream().anyMatch(f -> f.kind() == Finding.Kind.OUT_OF_ORDER && Objects.equals(f.version(), v))) {
                entryState = MigrationStatus.State.OUT_OF_ORDER;
            } else {
                entryState = MigrationStatus.State.APPLIED;
            }
            boolean isApplied = entryState == MigrationStatus.State.APPLIED || entryState == MigrationStatus.State.MISSING_FILE;
            Boolean checksumOk = isApplied && m != null && applied.isPresent() ? Objects.equals(applied.get().checksum(), m.upChecksum()) : null;
            String lastError = isApplied ? null : history.lastEvent(v)
                    .filter(e -> e.status() != HistoryEntry.Status.SUCCESS)
                    .map(e -> e.kind().label() + " " + e.status().label() + Validator.failureDetails(e)).orElse(null);
            HistoryEntry r = isApplied ? run.orElse(null) : null;
            entries.add(new MigrationStatus.Entry(v, m != null ? m.name() : run.map(HistoryEntry::name).orElse(null),
                    m != null ? m.displayName() : null, entryState, checksumOk, r == null ? null : r.kind(),
                    r == null ? null : r.transactionMode(), r == null ? null : r.startedAt(),
                    r == null ? null : r.installedBy() + (r.clientInfo() == null ? "" : " (" + r.clientInfo() + ")"),
                    r == null ? null : r.executionMs(), lastError));
        }
        return new MigrationStatus(catalog.source(), state.names().schema(), state.names().table(), current.version(), current.dirty(),
                catalog.latest(), pending, entries, new ValidationReport(findings).findings());
    }

    /**
     * What decides whether a plan may run: the findings about the database, then the lint of each file
     * it would run. {@link MigrationPlan#runnable()} and the operations refuse on the same errors.
     */
    static List<Finding> findings(MigrationCatalog catalog, DatabaseState state, Planner.Plan plan) {
        List<Finding> findings = new ArrayList<>(new Validator(catalog, state).findings());
        plan.steps().forEach(step -> findings.addAll(step.analysis().findings()));
        return findings;
    }

    /** A plan: the steps and the findings that would stop them (validation, and the lint of the files that would run). */
    static MigrationPlan plan(MigrationCatalog catalog, DatabaseState state, Planner.Plan plan) {
        List<MigrationPlan.Step> steps = new ArrayList<>();
        for (Planner.Step step : plan.steps()) {
            Script script = step.script();
            Script.Analysis analysis = step.analysis();
            steps.add(new MigrationPlan.Step(step.migration().version(), step.migration().name(), step.direction(),
                    script == null ? null : script.fileName(), analysis.mode(), step.from(), step.to(),
                    script == null ? null : script.checksum(), analysis.statements().stream().map(SqlStatement::text).toList()));
        }
        long to = plan.steps().isEmpty() ? state.version().version() : plan.steps().get(plan.steps().size() - 1).to();
        return new MigrationPlan(catalog.source(), state.names().schema(), state.version().version(), state.version().dirty(), to, steps,
                plan.shortBy(), new ValidationReport(findings(catalog, state, plan)).findings());
    }
}
