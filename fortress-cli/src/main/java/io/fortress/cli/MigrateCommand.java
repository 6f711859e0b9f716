package io.fortress.cli;

import io.fortress.db.Database;
import io.fortress.db.migrate.Finding;
import io.fortress.db.migrate.MigrationConfig;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationPlan;
import io.fortress.db.migrate.MigrationResult;
import io.fortress.db.migrate.MigrationSettings;
import io.fortress.db.migrate.MigrationSource;
import io.fortress.db.migrate.MigrationStatus;
import io.fortress.db.migrate.MigrationVersion;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fortress migrate up|down|goto N|version|force N|adopt N|repair-checksum N|status|plan|history}: the migration engine,
 * against the database DB_* names (or the embedded cluster), for either the services credits, shadow and
 * cdefnet, each in its own schema, or one schema of the user's own ({@code --schema NAME --source DIR}).
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Migrate schemas (golang-migrate layout, advisory lock, history): the services' (credits, shadow, cdefnet),",
                "from the jar (the repository's migrations/) or from --source DIR with one folder per service; or your own",
                "schema: --schema NAME (or DB_MIGRATE_SCHEMA) with --source DIR, the folder of its NNN_name.up.sql/.down.sql files."},
        subcommands = {MigrateCommand.Up.class, MigrateCommand.Down.class, MigrateCommand.Goto.class, MigrateCommand.Version.class,
                MigrateCommand.Force.class, MigrateCommand.Adopt.class, MigrateCommand.RepairChecksum.class, MigrateCommand.Status.class,
                MigrateCommand.Plan.class, MigrateCommand.History.class})
final class MigrateCommand extends CommandGroup {
    /** The exit status of {@code status} when it reports a finding that stops migrations (dirty, out of order, modified, ...). */
    static final int ERROR_FINDINGS = 3;

    @ParentCommand
    FortressCommand fortress;

    @Option(names = "--service", paramLabel = "SERVICE", scope = CommandLine.ScopeType.INHERIT,
            description = "credits, shadow, cdefnet or all (default: all); not with --schema.")
    String service;

    @Option(names = "--source", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = {"Without --schema: a folder with one subfolder of migrations per service, instead of the jar's.",
                    "With --schema: the folder of that schema's migrations (NNN_name.up.sql and NNN_name.down.sql)."})
    Path source;

    @Option(names = "--schema", paramLabel = "NAME", scope = CommandLine.ScopeType.INHERIT,
            description = {"Migrate your own schema NAME (created when missing) from --source DIR instead of the services; default: "
                    + "DB_MIGRATE_SCHEMA. Its version table is DB_MIGRATE_TABLE (default schema_migrations).",
                    "Without --source, only a bundled service's schema (credits, shadow, cdefnet: the same as --service NAME)."})
    String schema;

    /** The subcommands that only read: they never start the embedded cluster. */
    private static final java.util.Set<String> READING_VERBS = java.util.Set.of("version", "status", "plan", "history");

    /** A subcommand of migrate: it runs its work on each selected service, under its own name. */
    abstract static class Step extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;

        /** Runs the work for each selected service (exactly one with {@code singleServiceOnly}), printing a line each. */
        final int each(boolean singleServiceOnly, ServiceWork work) {
            return each(singleServiceOnly, work, false);
        }

        /** Like {@link #each(boolean, ServiceWork)}; with {@code json}, all results as one object keyed by service. */
        final int each(boolean singleServiceOnly, ServiceWork work, boolean json) {
            return migrate.forEach(singleServiceOnly, spec.name(), work, out(), json);
        }
    }

    /**
     * Runs the work for each selected service, printing one line each and stopping at the first failure; with
     * {@code json}, each service's result is a JSON document and all are printed as one object keyed by service.
     */
    private int forEach(boolean singleServiceOnly, String verb, ServiceWork work, PrintWriter out, boolean json) {
        List<Schema> schemas = schemas(singleServiceOnly, verb);
        Target.Use use = READING_VERBS.contains(verb) ? Target.Use.READ_ONLY : Target.Use.START_IF_STOPPED;
        try (Target target = Target.resolve(fortress.environment(), use, spec.commandLine().getErr());
             Database db = Database.open(target.dbConfig().toBuilder().maxOpenConns(2).maxIdleConns(0).build())) {
            com.fasterxml.jackson.databind.node.ObjectNode all = HealthJson.JSON.createObjectNode();
            for (Schema s : schemas) {
                MigrationManager manager = MigrationManager.create(db, s.source(), s.config());
                String result = work.run(s, manager);
                if (json) {
                    try {
                        all.set(s.id(), HealthJson.JSON.readTree(result));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        throw new IllegalStateException("the " + verb + " of " + s.id() + " is not JSON", e);
                    }
                } else {
                    out.println(result);
                    out.flush();
                }
            }
            if (json) {
                out.println(all.toPrettyString());
                out.flush();
            }
        }
        return 0;
    }

    /**
     * One schema a verb works on, with where its migrations come from and the engine's settings: a
     * service's, or the user's own. {@code id} names it in the output.
     */
    record Schema(String id, MigrationSource source, MigrationConfig config) {
    }

    /**
     * The schemas the options select: the user's own when --schema or DB_MIGRATE_SCHEMA names one, else
     * the services --service names.
     *
     * @throws IllegalArgumentException for a combination that says two things, naming the options and what to do
     */
    List<Schema> schemas(boolean singleOnly, String verb) {
        java.util.Map<String, String> environment = fortress.environment();
        String variable = MigrationSettings.SCHEMA.variable();
        String fromEnvironment = blank(environment.get(variable)) ? null : environment.get(variable).strip();
        if (schema != null && schema.isBlank()) {
            throw new IllegalArgumentException("--schema is empty; expected the name of the schema to migrate");
        }
        if (schema != null && fromEnvironment != null && !schema.strip().equals(fromEnvironment)) {
            throw new IllegalArgumentException("--schema " + schema + " and " + variable + "=" + fromEnvironment + " disagree; give "
                    + "one of them, or both the same name");
        }
        String own = schema != null ? schema.strip() : fromEnvironment;
        String named = schema != null ? "--schema " + own : variable + "=" + own;
        if (source != null && !Files.isDirectory(source)) {
            throw new IllegalArgumentException("--source " + source + " is not a folder");
        }
        if (own != null) {
            if (service != null) {
                throw new IllegalArgumentException("--service " + service + " and " + named + " both say what to migrate: --service "
                        + "picks bundled services (each into the schema of its name), " + named + " your own schema from --source DIR; "
                        + "give one of them" + (schema == null ? " (unset " + variable + " to migrate the services)" : ""));
            }
            // a schema's files come from --source; only the bundled services' schemas have theirs in the jar
            java.util.Optional<Service> bundled = Service.named(own);
            if (source == null && bundled.isEmpty()) {
                throw new IllegalArgumentException(named + " needs --source DIR, the folder of that schema's migrations "
                        + "(NNN_name.up.sql and NNN_name.down.sql); the jar holds only the bundled services' (credits, shadow, cdefnet)"
                        + (schema == null ? "; unset " + variable + " to migrate those" : ""));
            }
            MigrationConfig config = MigrationConfig.builder().applyEnv(environment).schema(own).build();
            return List.of(new Schema(own, source != null ? MigrationSource.directory(source) : bundled.get().source(null), config));
        }
        List<Service> services = Service.parse(service);
        if (singleOnly && services.size() != 1) {
            throw new IllegalArgumentException(verb + " needs --service credits, shadow or cdefnet (or --schema NAME --source DIR for "
                    + "your own schema): it is never applied to all services at once");
        }
        return services.stream().map(s -> new Schema(s.id(), s.source(source), s.config(environment))).toList();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    @FunctionalInterface
    interface ServiceWork {
        String run(Schema schema, MigrationManager manager);
    }

    static String describe(Schema s, MigrationResult r) {
        if (r.noChange()) {
            return s.id() + ": at version " + r.toVersion() + ", nothing to do";
        }
        StringBuilder sb = new StringBuilder(s.id() + ": version " + r.fromVersion() + " -> " + r.toVersion() + " (");
        for (int i = 0; i < r.applied().size(); i++) {
            MigrationResult.Applied a = r.applied().get(i);
            sb.append(i == 0 ? "" : ", ").append(a.direction().name().toLowerCase(java.util.Locale.ROOT)).append(' ')
                    .append(a.file() != null ? a.file() : "of version " + a.version() + ": no file, nothing run");
        }
        return sb.append(')').toString();
    }

    @Command(name = "up", mixinStandardHelpOptions = true, description = "Apply every pending migration.")
    static final class Up extends Step {
        @Override
        public Integer call() {
            return each(false, (s, m) -> describe(s, m.up()));
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Roll back exactly one migration of one service (or of --schema).")
    static final class Down extends Step {
        @Override
        public Integer call() {
            return each(true, (s, m) -> describe(s, m.down()));
        }
    }

    @Command(name = "goto", mixinStandardHelpOptions = true, description = "Migrate one service (or --schema) up or down to version N.")
    static final class Goto extends Step {
        @Parameters(index = "0", paramLabel = "N", description = "The version to reach.")
        long version;

        @Override
        public Integer call() {
            return each(true, (s, m) -> describe(s, m.migrate(version)));
        }
    }

    @Command(name = "version", mixinStandardHelpOptions = true, description = "Print each schema's version and dirty flag (takes no lock).")
    static final class Version extends Step {
        @Override
        public Integer call() {
            return each(false, (s, m) -> {
                MigrationVersion v = m.version();
                if (v.isNil()) {
                    return s.id() + ": " + (v.dirty() ? "no version, dirty (a rollback of the first version failed; see migrate status)"
                            : "no version (never migrated)");
                }
                return s.id() + ": version " + v.version() + (v.dirty() ? " (dirty)" : "");
            });
        }
    }

    @Command(name = "force", mixinStandardHelpOptions = true,
            description = {"Set one service's (or --schema's) version, clean, without running anything (-1: no version).",
                    "The repair after a failed migration outside a transaction, once the schema was fixed by hand."})
    static final class Force extends Step {
        @Parameters(index = "0", paramLabel = "N", description = "The version to record.")
        long version;
        @Option(names = "--allow-unknown-version", description = "Also a version the source has no file for (the database then "
                + "cannot move until such files exist).")
        boolean allowUnknownVersion;

        @Override
        public Integer call() {
            return each(true, (s, m) -> {
                m.force(version, allowUnknownVersion);
                return s.id() + ": forced to version " + version;
            });
        }
    }

    @Command(name = "adopt", mixinStandardHelpOptions = true,
            description = {"Record version N of one service (or --schema) as applied, running nothing: its changes are already in the database",
                    "(applied by hand or by another tool), e.g. a file reported OUT_OF_ORDER. N must be at or below the current version."})
    static final class Adopt extends Step {
        @Parameters(index = "0", paramLabel = "N", description = "The version to record as applied.")
        long version;

        @Override
        public Integer call() {
            return each(true, (s, m) -> {
                m.adopt(version);
                return s.id() + ": recorded version " + version + " as applied (adopt); nothing was run";
            });
        }
    }

    @Command(name = "repair-checksum", mixinStandardHelpOptions = true,
            description = {"Accept the current files of applied version N of one service (or --schema) as the applied ones (a MODIFIED or",
                    "DOWN_MODIFIED finding), after checking that the database matches them. Runs nothing."})
    static final class RepairChecksum extends Step {
        @Parameters(index = "0", paramLabel = "N", description = "The applied version whose files to accept.")
        long version;

        @Override
        public Integer call() {
            return each(true, (s, m) -> {
                m.repairChecksum(version);
                return s.id() + ": accepted the current files of version " + version + " (repair_checksum)";
            });
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Print each migration: applied or pending, how it was recorded (up: by fortress; external_up: by another",
                    "tool such as golang-migrate; adopt; force), checksum, and every finding."})
    static final class Status extends Step {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            boolean[] errors = {false};
            int status = each(false, (s, m) -> {
                MigrationStatus st = m.status();
                errors[0] |= st.findings().stream().anyMatch(Finding::isError);
                if (json) {
                    return st.toJson();
                }
                StringBuilder sb = new StringBuilder(s.id() + ": version " + st.version() + (st.dirty() ? " (dirty)" : "")
                        + ", newest " + st.latestVersion() + ", " + st.pending() + " pending");
                for (MigrationStatus.Entry e : st.migrations()) {
                    sb.append(String.format("%n  %06d %-28s %-12s %-14s %s", e.version(), e.name(), e.state(),
                            e.recordedAs() == null ? "" : e.recordedAs().label(),
                            Boolean.FALSE.equals(e.checksumOk()) ? "CHECKSUM MISMATCH" : "").stripTrailing());
                }
                st.findings().forEach(f -> sb.append("\n  ! ").append(f));
                return sb.toString();
            }, json);
            return status == 0 && errors[0] ? ERROR_FINDINGS : status;
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, description = "Show what up (or goto N) would run, writing nothing.")
    static final class Plan extends Step {
        @Parameters(index = "0", arity = "0..1", paramLabel = "N", description = "Target version (default: the newest).")
        Long target;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            return each(false, (s, m) -> {
                MigrationPlan p = target == null ? m.plan() : m.plan(target);
                if (json) {
                    return p.toJson();
                }
                StringBuilder sb = new StringBuilder(s.id() + ": " + p.fromVersion() + " -> " + p.toVersion()
                        + (p.steps().isEmpty() ? ", nothing to do" : ""));
                for (MigrationPlan.Step step : p.steps()) {
                    sb.append("\n  ").append(step.direction().name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(step.file())
                            .append(" (").append(step.transactionMode()).append(')');
                }
                return sb.toString();
            }, json);
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = {"Print the history table of each schema, oldest first: every run, failure, force, adoption and change",
                    "made by another tool, with who, when and how long (takes no lock, writes nothing)."})
    static final class History extends Step {
        @Option(names = "--json", description = "Print JSON: an array of events per schema.")
        boolean json;

        @Override
        public Integer call() {
            return each(false, (s, m) -> {
                java.util.List<io.fortress.db.migrate.HistoryEntry> rows = m.history();
                if (json) {
                    com.fasterxml.jackson.databind.node.ArrayNode array = HealthJson.JSON.createArrayNode();
                    rows.forEach(e -> array.add(historyJson(e)));
                    return array.toString();
                }
                StringBuilder sb = new StringBuilder(s.id() + ": " + rows.size() + (rows.size() == 1 ? " event" : " events"));
                for (io.fortress.db.migrate.HistoryEntry e : rows) {
                    sb.append(String.format("%n  %4d %s %-15s %-8s %6d %s -> %s  %s%s", e.id(), e.startedAt(), e.kind().label(),
                            e.status().label(), e.version(), e.fromVersion(), e.toVersion(), e.installedBy(),
                            e.errorMessage() == null ? "" : "  error " + e.errorSqlState() + ": " + e.errorMessage()));
                }
                return sb.toString();
            }, json);
        }

        private static com.fasterxml.jackson.databind.node.ObjectNode historyJson(io.fortress.db.migrate.HistoryEntry e) {
            com.fasterxml.jackson.databind.node.ObjectNode o = HealthJson.JSON.createObjectNode();
            o.put("id", e.id());
            o.put("version", e.version());
            o.put("name", e.name());
            o.put("kind", e.kind().label());
            o.put("status", e.status().label());
            o.put("from_version", e.fromVersion());
            o.put("to_version", e.toVersion());
            o.put("checksum", e.checksum());
            o.put("down_checksum", e.downChecksum());
            o.put("tx_mode", e.transactionMode() == null ? null : e.transactionMode().toString());
            o.put("statements_total", e.statementsTotal());
            o.put("statements_applied", e.statementsApplied());
            o.put("error_sqlstate", e.errorSqlState());
            o.put("error_message", e.errorMessage());
            o.put("error_statement", e.errorStatement());
            o.put("installed_by", e.installedBy());
            o.put("client_info", e.clientInfo());
            o.put("started_at", e.startedAt() == null ? null : e.startedAt().toString());
            o.put("finished_at", e.finishedAt() == null ? null : e.finishedAt().toString());
            o.put("execution_ms", e.executionMs());
            return o;
        }
    }
}
