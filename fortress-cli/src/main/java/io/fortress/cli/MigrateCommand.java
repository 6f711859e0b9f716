package io.fortress.cli;

import io.fortress.db.Database;
import io.fortress.db.migrate.Finding;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationPlan;
import io.fortress.db.migrate.MigrationResult;
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
 * {@code fortress migrate up|down|goto N|version|force N|adopt N|repair-checksum N|status|plan}: the migration engine for the
 * services credits, shadow and cdefnet, each in its own schema, against the database DB_* names (or
 * the embedded cluster).
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Migrate the services' schemas (golang-migrate layout, advisory lock, history).",
                "Migrations come from the jar (the repository's migrations/) or --source DIR (one folder per service).",
                "Exit status: 0 success, 1 failure, 2 invalid usage or settings, 3 status reported ERROR findings."},
        subcommands = {MigrateCommand.Up.class, MigrateCommand.Down.class, MigrateCommand.Goto.class, MigrateCommand.Version.class,
                MigrateCommand.Force.class, MigrateCommand.Adopt.class, MigrateCommand.RepairChecksum.class, MigrateCommand.Status.class,
                MigrateCommand.Plan.class})
final class MigrateCommand extends CommandGroup {
    /** The exit status of {@code status} when it reports a finding that stops migrations (dirty, out of order, modified, ...). */
    static final int ERROR_FINDINGS = 3;

    @ParentCommand
    FortressCommand fortress;

    @Option(names = "--service", paramLabel = "SERVICE", defaultValue = "all", scope = CommandLine.ScopeType.INHERIT,
            description = "credits, shadow, cdefnet or all (default: ${DEFAULT-VALUE}).")
    String service;

    @Option(names = "--source", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "A migrations folder with one subfolder per service, instead of the migrations in the jar.")
    Path source;

    /** The subcommands that only read: they never start the embedded cluster. */
    private static final java.util.Set<String> READING_VERBS = java.util.Set.of("version", "status", "plan");

    /** Runs the work for each selected service, printing one line each; stops at the first failure. */
    int forEach(boolean singleServiceOnly, String verb, ServiceWork work, PrintWriter out) {
        return forEach(singleServiceOnly, verb, work, out, false);
    }

    /**
     * Like {@link #forEach(boolean, String, ServiceWork, PrintWriter)}; with {@code json}, each service's
     * result is a JSON document and all are printed as one object keyed by service.
     */
    int forEach(boolean singleServiceOnly, String verb, ServiceWork work, PrintWriter out, boolean json) {
        List<Service> services = Service.parse(service);
        if (singleServiceOnly && services.size() != 1) {
            throw new IllegalArgumentException(verb + " needs --service credits, shadow or cdefnet: it is never applied to all"
                    + " services at once");
        }
        if (source != null && !Files.isDirectory(source)) {
            throw new IllegalArgumentException("--source " + source + " is not a folder");
        }
        Target.Use use = READING_VERBS.contains(verb) ? Target.Use.READ_ONLY : Target.Use.START_IF_STOPPED;
        try (Target target = Target.resolve(fortress.environment(), use, spec.commandLine().getErr());
             Database db = Database.open(target.dbConfig().toBuilder().maxOpenConns(2).maxIdleConns(0).build())) {
            com.fasterxml.jackson.databind.node.ObjectNode all = HealthJson.JSON.createObjectNode();
            for (Service s : services) {
                MigrationManager manager = s.manager(db, source, fortress.environment());
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

    @FunctionalInterface
    interface ServiceWork {
        String run(Service service, MigrationManager manager);
    }

    static String describe(Service s, MigrationResult r) {
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
    static final class Up extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Override
        public Integer call() {
            return migrate.forEach(false, "up", (s, m) -> describe(s, m.up()), out());
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Roll back exactly one migration of one service.")
    static final class Down extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Override
        public Integer call() {
            return migrate.forEach(true, "down", (s, m) -> describe(s, m.down()), out());
        }
    }

    @Command(name = "goto", mixinStandardHelpOptions = true, description = "Migrate one service up or down to version N.")
    static final class Goto extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Parameters(index = "0", paramLabel = "N", description = "The version to reach.")
        long version;

        @Override
        public Integer call() {
            return migrate.forEach(true, "goto", (s, m) -> describe(s, m.migrate(version)), out());
        }
    }

    @Command(name = "version", mixinStandardHelpOptions = true, description = "Print each service's version and dirty flag (takes no lock).")
    static final class Version extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Override
        public Integer call() {
            return migrate.forEach(false, "version", (s, m) -> {
                MigrationVersion v = m.version();
                if (v.isNil()) {
                    return s.id() + ": " + (v.dirty() ? "no version, dirty (a rollback of the first version failed; see migrate status)"
                            : "no version (never migrated)");
                }
                return s.id() + ": version " + v.version() + (v.dirty() ? " (dirty)" : "");
            }, out());
        }
    }

    @Command(name = "force", mixinStandardHelpOptions = true,
            description = {"Set one service's version, clean, without running anything (-1: no version).",
                    "The repair after a failed migration outside a transaction, once the schema was fixed by hand."})
    static final class Force extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Parameters(index = "0", paramLabel = "N", description = "The version to record.")
        long version;
        @Option(names = "--allow-unknown-version", description = "Also a version the source has no file for (the database then "
                + "cannot move until such files exist).")
        boolean allowUnknownVersion;

        @Override
        public Integer call() {
            return migrate.forEach(true, "force", (s, m) -> {
                m.force(version, allowUnknownVersion);
                return s.id() + ": forced to version " + version;
            }, out());
        }
    }

    @Command(name = "adopt", mixinStandardHelpOptions = true,
            description = {"Record version N of one service as applied, running nothing: its changes are already in the database",
                    "(applied by hand or by another tool), e.g. a file reported OUT_OF_ORDER. N must be at or below the current version."})
    static final class Adopt extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Parameters(index = "0", paramLabel = "N", description = "The version to record as applied.")
        long version;

        @Override
        public Integer call() {
            return migrate.forEach(true, "adopt", (s, m) -> {
                m.adopt(version);
                return s.id() + ": recorded version " + version + " as applied (adopt); nothing was run";
            }, out());
        }
    }

    @Command(name = "repair-checksum", mixinStandardHelpOptions = true,
            description = {"Accept the current files of applied version N of one service as the applied ones (a MODIFIED or",
                    "DOWN_MODIFIED finding), after checking that the database matches them. Runs nothing."})
    static final class RepairChecksum extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Parameters(index = "0", paramLabel = "N", description = "The applied version whose files to accept.")
        long version;

        @Override
        public Integer call() {
            return migrate.forEach(true, "repair-checksum", (s, m) -> {
                m.repairChecksum(version);
                return s.id() + ": accepted the current files of version " + version + " (repair_checksum)";
            }, out());
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Print each migration: applied or pending, how it was recorded (up: by fortress; external_up: by another",
                    "tool such as golang-migrate; adopt; force), checksum, and every finding.",
                    "Exit status 3 when a finding is an ERROR (migrations are refused until it is repaired)."})
    static final class Status extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            boolean[] errors = {false};
            int status = migrate.forEach(false, "status", (s, m) -> {
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
            }, out(), json);
            return status == 0 && errors[0] ? ERROR_FINDINGS : status;
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, description = "Show what up (or goto N) would run, writing nothing.")
    static final class Plan extends Subcommand {
        @ParentCommand
        MigrateCommand migrate;
        @Parameters(index = "0", arity = "0..1", paramLabel = "N", description = "Target version (default: the newest).")
        Long target;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            return migrate.forEach(false, "plan", (s, m) -> {
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
            }, out(), json);
        }
    }
}
