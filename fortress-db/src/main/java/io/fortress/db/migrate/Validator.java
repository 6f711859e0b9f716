package io.fortress.db.migrate;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Compares the source with what the database records: changed files, files that appeared below the
 * current version, a version the source does not know, a dirty version, and changes made by
 * golang-migrate since fortress last ran. Every finding says how to repair it.
 */
record Validator(MigrationCatalog catalog, DatabaseState state) {
    /** Findings about the database against the source (not the files' own lint). */
    List<Finding> findings() {
        List<Finding> findings = new ArrayList<>();
        MigrationVersion v = state.version();
        HistoryLog history = state.history();
        if (v.dirty()) {
            findings.add(Finding.error(Finding.Kind.DIRTY, v.version(), fileOf(v.version()), dirtyMessage()));
        }
        if (v.version() >= 0 && !catalog.contains(v.version())) {
            findings.add(Finding.error(Finding.Kind.UNKNOWN_DB_VERSION, v.version(), null, unknownVersionMessage(catalog, v.version())));
        }
        if (!state.versionTableExists()) {
            return findings;
        }
        if (!history.exists()) {
            if (v.version() >= 0) {
                findings.add(Finding.info(Finding.Kind.NOT_ADOPTED, v.version(), null, state.names().display() + " is at version "
                        + v + " without fortress history (migrated by golang-migrate); the next up, down, migrate or force records "
                        + "versions up to " + v.version() + " as adopted, running nothing"));
            }
            return findings;
        }
        long recorded = history.lastRecordedVersion().orElse(-1L);
        if (!v.dirty() && recorded != v.version()) {
            findings.add(Finding.info(Finding.Kind.EXTERNAL_CHANGE, v.version(), null, "the version moved from "
                    + Planner.display(recorded) + " to " + Planner.display(v.version()) + " outside fortress (golang-migrate?); the next run "
                    + "records it as external_" + (v.version() > recorded ? "up" : "down")));
        }
        for (Migration m : catalog.all()) {
            if (m.version() > v.version()) {
                lastAttemptFailed(m).ifPresent(findings::add);
                continue;
            }
            Optional<HistoryEntry> applied = history.lastApplied(m.version());
            if (applied.isEmpty()) {
                boolean notYetRecorded = m.version() > recorded;
                if (!notYetRecorded && history.forceOver(m.version()).isEmpty()) {
                    findings.add(outOfOrder(m, v.version()));
                }
                continue;
            }
            HistoryEntry e = applied.get();
            if (!Objects.equals(e.checksum(), m.upChecksum())) {
                findings.add(Finding.error(Finding.Kind.MODIFIED, m.version(), m.displayName(), m.displayName() + " changed after version "
                        + m.version() + " was applied (recorded SHA-256 " + shortSum(e.checksum()) + ", file now " + shortSum(m.upChecksum())
                        + "); never modify deployed migrations. Restore the file as it was applied and put the change in a new "
                        + "migration; or, if the database already matches the new text, accept it with " + repair("repair-checksum", "repairChecksum", m.version())));
            }
            if (e.downChecksum() != null && !Objects.equals(e.downChecksum(), m.downChecksum())) {
                String down = m.down() == null ? "its down file was removed" : m.down().fileName() + " changed";
                findings.add(Finding.warning(Finding.Kind.DOWN_MODIFIED, m.version(), m.down() == null ? m.displayName() : m.down().fileName(),
                        "version " + m.version() + " is applied and " + down + " since (recorded SHA-256 " + shortSum(e.downChecksum())
                                + "); check that it still undoes what was applied; " + repair("repair-checksum", "repairChecksum", m.version()) + " accepts it"));
            }
        }
        state.schema().flatMap(this::drift).ifPresent(findings::add);
        for (long version : history.appliedVersions()) {
            if (version <= v.version() && version != v.version() && !catalog.contains(version)) {
                String name = history.lastApplied(version).map(HistoryEntry::name).orElse("?");
                findings.add(Finding.warning(Finding.Kind.MISSING_FILE, version, null, "version " + version + " (" + name + ") is applied "
                        + "but its files are gone from " + catalog.source() + "; it cannot be rolled back or checked; restore the files"));
            }
        }
        return findings;
    }

    /**
     * The schema against the fingerprint recorded at the current clean version (the reader compares
     * only then): a difference is a change made outside migrations.
     */
    private Optional<Finding> drift(DatabaseState.SchemaComparison schema) {
        MigrationVersion v = state.version();
        List<String> changes = schema.changes();
        if (changes.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Finding.warning(Finding.Kind.SCHEMA_DRIFT, v.version(), null, "schema " + state.names().schema()
                + " changed outside migrations since version " + Planner.display(v.version()) + " was applied: "
                + String.join("; ", changes) + ". Revert the change, or make it a migration; to accept the schema as it is now, "
                + repair("force", "force", v.version()) + " records its fingerprint"));
    }

    private Optional<Finding> lastAttemptFailed(Migration m) {
        return state.history().lastEvent(m.version())
                .filter(e -> e.status() == HistoryEntry.Status.FAILED && (e.kind() == HistoryEntry.Kind.UP || e.kind() == HistoryEntry.Kind.EXTERNAL_UP))
                .map(e -> Finding.info(Finding.Kind.LAST_ATTEMPT_FAILED, m.version(), m.displayName(), "the last attempt to apply "
                        + m.displayName() + " failed" + (e.kind().isExternal() ? " in another tool (golang-migrate?), which left it dirty"
                        : failureDetails(e))));
    }

    private Finding outOfOrder(Migration m, long current) {
        String file = m.displayName();
        String renamed = String.format("%0" + Math.max(6, Long.toString(current + 1).length()) + "d", catalog.latest() + 1)
                + "_" + m.name() + ".up.sql";
        return Finding.error(Finding.Kind.OUT_OF_ORDER, m.version(), file, file + " (version " + m.version() + ") is below the database's "
                + "version " + current + " but never ran; golang-migrate would skip it silently and fortress does not run it out of "
                + "order. Give it a version above the last one (e.g. rename it to " + renamed + ", and its down file likewise) so "
                + "it runs next; or, if its changes are already in the database (applied by another tool or by hand), record it as applied "
                + "with " + repair("adopt", "adopt", m.version()));
    }

    private String dirtyMessage() {
        MigrationVersion v = state.version();
        Optional<HistoryEntry> cause = state.history().dirtyCause(v.version());
        String what;
        if (cause.isEmpty()) {
            what = "fortress's history records nothing that left it dirty, so another tool did: golang-migrate marks the version "
                    + "dirty when any file fails, and keeps it so until forced. If the file ran as one implicit transaction (several "
                    + "statements, no BEGIN/COMMIT of its own, nothing that must run outside a transaction), nothing of it remains.";
        } else if (cause.get().kind().isExternal()) {
            HistoryEntry e = cause.get();
            what = "another tool (golang-migrate?) left it dirty: its " + (e.kind() == HistoryEntry.Kind.EXTERNAL_UP ? "up" : "down")
                    + " of version " + e.version() + (e.name() != null ? " (" + e.name() + ")" : "") + " failed or was interrupted, coming "
                    + "from version " + Planner.display(e.fromVersion()) + "; what it ran is not known here. "
                    + "golang-migrate marks any failed file dirty; if the file ran as one implicit transaction (several statements, "
                    + "no BEGIN/COMMIT of its own), nothing of it remains.";
        } else {
            HistoryEntry e = cause.get();
            what = "fortress ran the " + e.kind().label() + " of version " + e.version() + " (" + e.name() + ") outside a transaction and it "
                    + (e.status() == HistoryEntry.Status.RUNNING ? "was interrupted" : "failed" + failureDetails(e))
                    + (e.statementsApplied() != null ? "; statements completed: " + e.statementsApplied() + " of " + e.statementsTotal() : "")
                    + ", so the schema may be partly changed.";
        }
        return "version " + v.version() + " is dirty: " + what + " Repair: look at the schema, finish or undo the partial "
                + "change by hand (e.g. DROP INDEX an invalid index left by CREATE INDEX CONCURRENTLY), then force the version the schema "
                + "now matches: " + forceAdvice(cause) + ", and run again";
    }

    /** Which version to force: the one before the failed file if nothing of it remains, the one after once it was completed. */
    private String forceAdvice(Optional<HistoryEntry> cause) {
        if (cause.isEmpty()) {
            return "e.g. " + repair("force", "force", state.version().version());
        }
        HistoryEntry e = cause.get();
        boolean up = e.kind() == HistoryEntry.Kind.UP || e.kind() == HistoryEntry.Kind.EXTERNAL_UP;
        long undone = up ? e.fromVersion() : e.version();
        long completed = up ? e.version() : e.toVersion();
        return repair("force", "force", undone) + " if nothing of the " + (up ? "up" : "down") + " of version " + e.version()
                + " remains, or " + repair("force", "force", completed) + " once it is complete";
    }

    /** A repair as the fortress command and the Java call, e.g. {@code fortress migrate force 3 --schema credits (force(3) in Java)}. */
    String repair(String verb, String method, long version) {
        return "`" + command(verb, version, state.names(), catalog) + "` (" + method + "(" + version + ") in Java)";
    }

    /**
     * The fortress command line that runs {@code verb N} on this schema, table and folder, e.g.
     * {@code DB_MIGRATE_TABLE=app_versions fortress migrate force 3 --schema app --source /srv/migrations/app}; without
     * {@code --source} when the files are not in a folder (the classpath: the bundled services' are in the fortress jar).
     */
    static String command(String verb, long version, TableNames names, MigrationCatalog catalog) {
        String table = names.table().equals(MigrationSettings.TABLE.defaultValue()) ? ""
                : MigrationSettings.TABLE.variable() + "=" + shellWord(names.table()) + " ";
        return table + "fortress migrate " + verb + " " + version + " --schema " + shellWord(names.schema())
                + (catalog.folder() == null ? "" : " --source " + shellWord(catalog.folder().toString()));
    }

    /** A word the shell takes as it is: quoted when it holds anything but letters, digits and {@code /._-}. */
    private static String shellWord(String word) {
        return word.matches("[A-Za-z0-9/._-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    /** Why the database cannot move from a version the source lacks, and what to do. */
    static String unknownVersionMessage(MigrationCatalog catalog, long v) {
        return "no migration found for version " + v + " in " + catalog.source() + ": the database was migrated with files this source "
                + "lacks (the versions here are " + (catalog.isEmpty() ? "none" : "up to " + catalog.latest()) + "). Use the source the "
                + "database was migrated with (a newer build?), restore the missing files, or, if the schema matches an earlier "
                + "version of this source, force(version) to it (fortress migrate force <version>)";
    }

    static String failureDetails(HistoryEntry e) {
        StringBuilder sb = new StringBuilder();
        if (e.errorStatement() != null && e.errorStatement() > 0) {
            sb.append(" at statement ").append(e.errorStatement());
            if (e.errorStatementText() != null) {
                sb.append(" (").append(SqlStatement.abbreviate(e.errorStatementText())).append(')');
            }
        }
        if (e.errorSqlState() != null) {
            sb.append(", SQLSTATE ").append(e.errorSqlState());
        }
        if (e.errorMessage() != null) {
            sb.append(": ").append(e.errorMessage().replaceAll("\\s+", " "));
        }
        return sb.toString();
    }

    private String fileOf(long version) {
        Migration m = catalog.get(version);
        return m == null ? null : m.displayName();
    }

    private static String shortSum(String checksum) {
        return checksum == null ? "none" : checksum.substring(0, 12) + "...";
    }
}
