package io.fortress.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.db.Database;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.backup.ArchiveState;
import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupManager;
import io.fortress.db.backup.BaseBackupInfo;
import io.fortress.db.backup.BaseBackupType;
import io.fortress.db.backup.BaseBackups;
import io.fortress.db.backup.PointInTime;
import io.fortress.db.backup.RecoveryTarget;
import io.fortress.db.backup.RestoreDrillReport;
import io.fortress.db.backup.RestoredCluster;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BiFunction;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fortress backup pitr setup|base|list|status|restore|drill}: point-in-time recovery with pgBackRest over
 * {@link PointInTime}, with the BACKUP_PITR_* settings.
 */
@Command(name = "pitr", mixinStandardHelpOptions = true,
        description = {"Point-in-time recovery with pgBackRest (BACKUP_PITR=true, BACKUP_PITR_REPO_PATH): WAL archiving,",
                "physical base backups and restores to a time, an LSN or the latest point into a new server.",
                "DB_USER must be a superuser; pgBackRest runs on the primary's host (see docs/backup.md)."},
        subcommands = {BackupPitrCommand.Setup.class, BackupPitrCommand.Base.class, BackupPitrCommand.ListBase.class,
                BackupPitrCommand.Status.class, BackupPitrCommand.Restore.class, BackupPitrCommand.Drill.class})
final class BackupPitrCommand extends CommandGroup {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    @ParentCommand
    BackupCommand backup;

    /** Runs the work with the database's point-in-time recovery and, for a cluster fortress manages, a way to restart its primary. */
    <T> T withPointInTime(BiFunction<PointInTime, Optional<Runnable>, T> work) {
        try (Target target = Target.resolve(backup.fortress.environment(), Target.Use.START_IF_STOPPED, spec.commandLine().getErr())) {
            try (Database database = Database.open(target.dbConfig().toBuilder().maxOpenConns(2).maxIdleConns(0).build())) {
                return work.apply(BackupManager.create(database, target.backupConfig()).pointInTime(), target.primaryRestart());
            }
        }
    }

    static ObjectNode json(BaseBackupInfo b) {
        ObjectNode n = JSON.objectNode();
        n.put("label", b.label());
        n.put("type", b.type().spelling());
        n.put("repository", b.repository());
        n.put("started_at", b.started().toString());
        n.put("stopped_at", b.stopped().toString());
        n.put("lsn_start", b.lsnStart());
        n.put("lsn_stop", b.lsnStop());
        n.put("size_bytes", b.size());
        n.put("repository_bytes", b.repositorySize());
        b.prior().ifPresent(p -> n.put("prior", p));
        n.put("page_errors", b.pageErrors());
        return n;
    }

    /** A subcommand of {@code backup pitr}: reaches the cluster's point-in-time recovery through its parent. */
    abstract static class PitrSubcommand extends Subcommand {
        @ParentCommand
        BackupPitrCommand pitr;
    }

    @Command(name = "setup", mixinStandardHelpOptions = true,
            description = {"Set up WAL archiving: the pgBackRest stanza, archive_mode and archive_command on the primary, then",
                    "pgbackrest check. The embedded cluster's primary is restarted when archive_mode was off; another server",
                    "must be restarted by its DBA, then setup run again. Safe to repeat."})
    static final class Setup extends PitrSubcommand {
        @Option(names = "--print", description = {"Change nothing: print what a DBA puts in postgresql.conf and pgbackrest.conf for",
                "this cluster, each key replaced by the PGBACKREST_* variable pgBackRest reads it from."})
        boolean print;

        @Override
        public Integer call() {
            PrintWriter out = out();
            return pitr.withPointInTime((p, restart) -> {
                if (print) {
                    out.print(p.setupInstructions());
                    return 0;
                }
                boolean restarted = p.setUpArchiving(restart.orElse(() -> {
                    throw new BackupException("archive_mode is now on (ALTER SYSTEM), but takes effect only when PostgreSQL starts: "
                            + "restart the primary, then run `fortress backup pitr setup` again");
                }));
                out.println("WAL archiving into pgBackRest works" + (restarted ? " (the primary was restarted to turn archive_mode on)" : "")
                        + "; take a base backup with `fortress backup pitr base`");
                return 0;
            });
        }
    }

    @Command(name = "base", mixinStandardHelpOptions = true,
            description = "Take a base backup, from the standby (BACKUP_PITR_STANDBY_DIR/PORT) when it streams, else from the primary.")
    static final class Base extends PitrSubcommand {
        @Option(names = "--type", paramLabel = "TYPE", defaultValue = "full", converter = TypeConverter.class,
                description = "full (every file), diff (changed since the last full) or incr (changed since the last backup); default: ${DEFAULT-VALUE}.")
        BaseBackupType type;
        @Option(names = "--json", description = "Print the new backup as JSON.")
        boolean json;

        @Override
        public Integer call() {
            BaseBackupInfo b = pitr.withPointInTime((p, restart) -> p.backup(type));
            out().println(json ? BackupCommand.write(json(b)) : "took " + b.type().spelling() + " base backup " + b.label() + " ("
                    + b.size() + " bytes, " + b.repositorySize() + " in the repository); restorable from " + b.stopped());
            return 0;
        }
    }

    /** Parses --type, naming what is accepted. */
    static final class TypeConverter implements CommandLine.ITypeConverter<BaseBackupType> {
        @Override
        public BaseBackupType convert(String value) {
            try {
                return BaseBackupType.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the base backups, oldest first, and the restorable window (oldest to newest point).")
    static final class ListBase extends PitrSubcommand {
        @Option(names = "--json", description = {"Print {\"stanza\", \"restorable_from\", \"restorable_to_lsn\", \"last_archived_at\",",
                "\"backups\": [{label, type, repository, started_at, stopped_at, lsn_start, lsn_stop, size_bytes, repository_bytes, prior, page_errors}]}."})
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = out();
            BaseBackups list = pitr.withPointInTime((p, restart) -> p.list());
            if (json) {
                ObjectNode root = JSON.objectNode();
                root.put("stanza", list.stanza());
                list.restorableFrom().ifPresent(t -> root.put("restorable_from", t.toString()));
                list.restorableToLsn().ifPresent(l -> root.put("restorable_to_lsn", l));
                list.lastArchived().ifPresent(t -> root.put("last_archived_at", t.toString()));
                ArrayNode backups = root.putArray("backups");
                list.backups().forEach(b -> backups.add(json(b)));
                out.println(BackupCommand.write(root));
                return 0;
            }
            if (list.backups().isEmpty()) {
                out.println("no base backups in stanza " + list.stanza() + "; take one with `fortress backup pitr base`");
                return 0;
            }
            out.printf("%-36s %-5s %-20s %14s %14s %s%n", "LABEL", "TYPE", "STOPPED", "SIZE", "IN REPO", "LSN");
            for (BaseBackupInfo b : list.backups()) {
                out.printf("%-36s %-5s %-20s %14d %14d %s%n", b.label(), b.type().spelling(), time(b.stopped()), b.size(),
                        b.repositorySize(), b.lsnStop());
            }
            out.println("restorable from " + list.restorableFrom().map(BackupPitrCommand::time).orElse("?") + " up to LSN "
                    + list.restorableToLsn().orElse("?") + list.lastArchived().map(t -> " (WAL last archived " + time(t) + ")").orElse(""));
            return 0;
        }
    }

    static String time(Instant t) {
        return t.toString().replace("T", " ").replace("Z", "+00");
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Show WAL archiving: the last file archived and how long ago (the live recovery point objective),",
                    "failures, and the WAL not yet archived. Exits 1 when the newest archive attempt failed."})
    static final class Status extends PitrSubcommand {

        @Override
        public Integer call() {
            ArchiveState s = pitr.withPointInTime((p, restart) -> p.archiveState());
            PrintWriter out = out();
            out.println("archived:       " + s.archivedCount() + " files, the last " + s.lastArchivedWal().orElse("none")
                    + s.lastArchivedAge().map(a -> " " + io.fortress.db.api.Durations.format(a) + " ago").orElse(""));
            out.println("failed:         " + s.failedCount() + s.lastFailedWal().map(w -> ", the last for " + w).orElse("")
                    + (s.failing() ? " (FAILING NOW: check archive_command and pgBackRest's log)" : ""));
            out.println("not archived:   " + s.unarchivedBytes() + " bytes of WAL");
            return s.failing() ? 1 : 0;
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Restore into a new data directory and start it as a separate server on a free port, promoted",
                    "(it takes writes) and not archiving; the running cluster is never touched. It keeps running",
                    "after the command ends: stop it with pg_ctl -D DIR stop."})
    static final class Restore extends PitrSubcommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Point point;
        @Option(names = "--target-dir", required = true, paramLabel = "DIR",
                description = "A new or empty folder outside the cluster's data directories, reachable by the database's OS user.")
        Path targetDir;

        /** Exactly one stopping point. */
        static final class Point {
            @Option(names = "--to-time", paramLabel = "TIME", description = "Replay every transaction committed up to TIME, e.g. '2026-12-07 10:15:00+00'.")
            String time;
            @Option(names = "--to-lsn", paramLabel = "LSN", description = "Replay up to the WAL position LSN, e.g. 0/3000060.")
            String lsn;
            @Option(names = "--to-token", paramLabel = "TOKEN", description = {"Replay up to just after the write a consistency token",
                    "(the Fortress-Consistency-Token header, Database.consistencyToken()) was handed out for, e.g. 0/3000060."})
            String token;
            @Option(names = "--latest", description = "Replay everything the archive holds.")
            boolean latest;
        }

        @Override
        public Integer call() {
            RecoveryTarget target;
            try {
                target = point.time != null ? RecoveryTarget.time(RecoveryTarget.parseTime(point.time))
                        : point.lsn != null ? RecoveryTarget.lsn(point.lsn)
                        : point.token != null ? RecoveryTarget.token(ConsistencyToken.parse(point.token)) : RecoveryTarget.latest();
            } catch (IllegalArgumentException e) {
                String option = point.time != null ? "--to-time" : point.lsn != null ? "--to-lsn" : "--to-token";
                throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
            }
            RestoredCluster server = pitr.withPointInTime((p, restart) -> p.restore(target, targetDir, true));
            out().println("restored to " + target + " into " + server.dataDirectory() + "; the server listens on port " + server.port()
                    + " (log: " + server.logFile() + ")");
            return 0;
        }
    }

    @Command(name = "drill", mixinStandardHelpOptions = true,
            description = {"Run a restore drill: pgbackrest verify of the repository, then the latest base backup plus the WAL",
                    "archived up to now restored into a throw-away server in BACKUP_PITR_WORK_DIR, every table's row count",
                    "compared with the primary's (tables written meanwhile are listed, not compared), and the server and its",
                    "folder removed. Prints the restore time (RTO) and how far it ended behind the primary. Exits 1 when it failed."})
    static final class Drill extends PitrSubcommand {
        @Option(names = "--json", description = {"Print {\"passed\", \"started_at\", \"restore_seconds\", \"restored_up_to\",",
                "\"bytes_behind\", \"tables_compared\", \"tables_written\": [...], \"problems\": [...]}."})
        boolean json;

        @Override
        public Integer call() {
            RestoreDrillReport r = pitr.withPointInTime((p, restart) -> p.drill());
            PrintWriter out = out();
            if (json) {
                ObjectNode root = JSON.objectNode();
                root.put("passed", r.passed());
                root.put("started_at", r.started().toString());
                root.put("restore_seconds", r.restoreTime().toMillis() / 1000.0);
                r.restoredUpTo().ifPresent(t -> root.put("restored_up_to", t.toString()));
                root.put("bytes_behind", r.bytesBehind());
                root.put("tables_compared", r.compared());
                ArrayNode written = root.putArray("tables_written");
                r.written().forEach(written::add);
                ArrayNode problems = root.putArray("problems");
                r.problems().forEach(problems::add);
                out.println(BackupCommand.write(root));
            } else {
                out.println((r.passed() ? "restore drill passed" : "RESTORE DRILL FAILED") + ": restored and started in "
                        + io.fortress.db.api.Durations.format(r.restoreTime()) + ", up to "
                        + r.restoredUpTo().map(BackupPitrCommand::time).orElse("the base backup (no transaction replayed)") + ", "
                        + r.bytesBehind() + " bytes of WAL behind the primary; " + r.compared() + " tables compared"
                        + (r.written().isEmpty() ? "" : ", " + r.written().size() + " written during the drill: " + String.join(", ", r.written())));
                r.problems().forEach(problem -> out.println("  " + problem));
            }
            return r.passed() ? 0 : 1;
        }
    }
}
