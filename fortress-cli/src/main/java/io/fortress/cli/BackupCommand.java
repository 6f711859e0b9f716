package io.fortress.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManager;
import io.fortress.db.backup.BackupPhase;
import io.fortress.db.backup.BackupVerificationException;
import io.fortress.db.backup.ProgressListener;
import io.fortress.db.backup.RemoteCopies;
import io.fortress.db.backup.RemoteObjectDecryptor;
import io.fortress.db.backup.RestoreOptions;
import io.fortress.db.backup.RestoreResult;
import io.fortress.db.backup.RetentionPlan;
import io.fortress.db.backup.VerificationReport;
import io.fortress.db.backup.VerifyLevel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fortress backup create|list|restore|verify|cleanup|upload|pin|unpin|decrypt}: the backup tool over
 * {@link BackupManager}, against the database the {@code DB_*} variables name, with the backup
 * settings of {@code BACKUP_DIR}, {@code RETENTION_DAYS}, {@code COMPRESSION}, {@code PARALLEL_JOBS}, ...
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Back up, list, verify, restore and clean up pg_dump backups of the database named by DB_*.",
                "Settings: DB_HOST, DB_PORT, DB_USER, PGPASSWORD or DB_PASSWORD_FILE, DB_NAME, BACKUP_DIR, RETENTION_DAYS,",
                "COMPRESSION, PARALLEL_JOBS, BACKUP_FORMAT, BACKUP_VERIFY, ... (see docs/configuration.md).",
                "With BACKUP_REMOTE=s3://bucket/prefix each backup is also copied there (encrypted with",
                "BACKUP_ENCRYPTION_KEY_FILE); list, verify, restore and cleanup take --remote to work on those copies."},
        subcommands = {BackupCommand.Create.class, BackupCommand.ListBackups.class, BackupCommand.Restore.class,
                BackupCommand.Verify.class, BackupCommand.Cleanup.class, BackupCommand.Upload.class, BackupCommand.Pin.class,
                BackupCommand.Unpin.class, BackupCommand.Decrypt.class, BackupPitrCommand.class})
final class BackupCommand extends CommandGroup {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @ParentCommand
    FortressCommand fortress;

    /**
     * Opens the database (or, for restores, a maintenance database of the same server) and runs the work
     * with a manager; without DB_HOST, on the embedded cluster, with backups in FORTRESS_DATA_DIR/backups.
     */
    <T> T withManager(String connectTo, Function<BackupManager, T> work) {
        return withManager(connectTo, Target.Use.START_IF_STOPPED, work);
    }

    /** Like {@link #withManager(String, Function)}, using the embedded cluster as {@code use} says (list only reads). */
    <T> T withManager(String connectTo, Target.Use use, Function<BackupManager, T> work) {
        try (Target target = Target.resolve(fortress.environment(), use, spec.commandLine().getErr())) {
            DbConfig.Builder db = target.dbConfig().toBuilder().maxOpenConns(2).maxIdleConns(0);
            if (connectTo != null) {
                db.database(connectTo);
            }
            try (Database database = Database.open(db.build())) {
                return work.apply(BackupManager.create(database, target.backupConfig()));
            }
        }
    }

    /** Whether BACKUP_REMOTE is set (read without opening anything). */
    boolean remoteConfigured() {
        return fortress.environment().containsKey("BACKUP_REMOTE");
    }

    /** Prints phase changes of a long run to stderr. */
    static ProgressListener progressTo(PrintWriter err) {
        AtomicReference<BackupPhase> last = new AtomicReference<>();
        return p -> {
            if (last.getAndSet(p.phase()) != p.phase() && p.phase() != BackupPhase.DONE) {
                err.println("fortress: " + p.phase().name().toLowerCase(Locale.ROOT).replace('_', ' ') + "...");
                err.flush();
            }
        };
    }

    static ObjectNode json(BackupInfo b) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", b.id());
        n.put("path", b.path().toString());
        n.put("database", b.database());
        n.put("format", b.format().spelling());
        n.put("created_at", b.createdAt().toString());
        n.put("size_bytes", b.sizeBytes());
        n.put("status", b.status().spelling());
        n.put("pinned", b.pinned());
        if (b.manifest().uploaded()) {
            n.put("uploaded_at", b.manifest().lifecycle().uploadedAt());
        }
        if (b.manifest().lifecycle().keyFingerprint() != null) {
            n.put("key_fingerprint", b.manifest().lifecycle().keyFingerprint());
        }
        return n;
    }

    static String write(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A subcommand of {@code fortress backup}, which opens the manager it works with. */
    abstract static class BackupSubcommand extends Subcommand {
        @ParentCommand
        BackupCommand backup;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Take a backup now: dump, checksum, manifest, verify (BACKUP_VERIFY).")
    static final class Create extends BackupSubcommand {
        @Option(names = "--json", description = "Print the new backup as JSON.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = out();
            BackupInfo b = backup.withManager(null, this::backupWhenFree);
            out.println(json ? write(json(b)) : "created backup " + b.id() + " (" + b.status().spelling() + ", " + b.sizeBytes()
                    + " bytes): " + b.path());
            if (!json && backup.remoteConfigured() && !b.manifest().uploaded()) {
                spec.commandLine().getErr().println("fortress: the backup is not yet copied to BACKUP_REMOTE (see the log above); "
                        + "the next backup or `fortress backup upload` retries");
            }
            return 0;
        }

        /**
         * Takes the backup; while another backup of the database runs (serve takes its first one at start, right
         * when a new user tries this command), waits for it to end, up to BACKUP_TIMEOUT when that is set, saying so.
         */
        private BackupInfo backupWhenFree(BackupManager m) {
            PrintWriter err = spec.commandLine().getErr();
            java.time.Duration limit = m.config().timeout();
            long deadline = System.nanoTime() + (limit.isZero() ? Long.MAX_VALUE / 2 : limit.toNanos());
            boolean told = false;
            while (true) {
                try {
                    return m.backup(progressTo(err));
                } catch (io.fortress.db.backup.BackupInProgressException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    if (!told) {
                        err.println("fortress: " + e.getMessage().replace("; wait for it to finish", "") + "; waiting for it to finish"
                                + (limit.isZero() ? "" : " (at most BACKUP_TIMEOUT, " + io.fortress.db.api.Durations.format(limit) + ")"));
                        err.flush();
                        told = true;
                    }
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the backups in BACKUP_DIR that have a valid manifest, newest first.")
    static final class ListBackups extends BackupSubcommand {
        @Option(names = "--json", description = {"Print {\"backups\": [{id, path, database, format, created_at, size_bytes, status, pinned}]};",
                "with --remote also \"unreadable\": [{id, reason}]."})
        boolean json;
        @Option(names = "--remote", description = {"List this database's copies in BACKUP_REMOTE instead (path: the copy's key prefix);",
                "a copy whose manifest cannot be decrypted or authenticated is listed as unreadable."})
        boolean remote;

        @Override
        public Integer call() {
            PrintWriter out = out();
            return backup.withManager(null, Target.Use.READ_ONLY, m -> {
                RemoteCopies copies = remote ? m.listRemoteCopies() : null;
                List<BackupInfo> backups = remote ? copies.readable() : m.listAllBackups();
                List<RemoteCopies.Unreadable> unreadable = remote ? copies.unreadable() : List.of();
                if (!unreadable.isEmpty()) {
                    spec.commandLine().getErr().println("fortress: " + unreadable.size() + " cop" + (unreadable.size() == 1 ? "y" : "ies")
                            + " in " + m.config().remote().orElseThrow() + " cannot be read: the manifest fails to decrypt or "
                            + "authenticate (altered, or encrypted with a key not given); they are kept, and retention counts them");
                }
                if (json) {
                    ObjectNode root = JSON.createObjectNode();
                    ArrayNode list = root.putArray("backups");
                    backups.forEach(b -> list.add(json(b)));
                    if (remote) {
                        ArrayNode bad = root.putArray("unreadable");
                        unreadable.forEach(u -> bad.addObject().put("id", u.id()).put("reason", u.reason()));
                    }
                    out.println(write(root));
                } else if (backups.isEmpty() && unreadable.isEmpty()) {
                    out.println("no backups in " + (remote ? m.config().remote().orElseThrow() : m.config().backupDir()));
                } else {
                    out.printf("%-32s %-20s %-9s %12s %-9s %s%n", "ID", "CREATED", "FORMAT", "SIZE", "STATUS", "PATH");
                    for (BackupInfo b : backups) {
                        out.printf("%-32s %-20s %-9s %12d %-9s %s%n", b.id(), b.createdAt().toString().replace("T", " ").replace("Z", ""),
                                b.format().spelling(), b.sizeBytes(), b.status().spelling() + (b.pinned() ? "*" : ""), b.path());
                    }
                    for (RemoteCopies.Unreadable u : unreadable) {
                        out.printf("%-32s %-20s %-9s %12s %-9s %s%n", u.id(), "?", "?", "?", "UNREADABLE", u.reason());
                    }
                }
                return 0;
            });
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Restore a backup (path or id) after checking its checksums.",
                    "Into --target-db, or DB_NAME (DB_NAME=test_restore ... restore FILE); the database is",
                    "created when missing. A database that holds objects is replaced in place only with --force."})
    static final class Restore extends BackupSubcommand {
        @Parameters(index = "0", paramLabel = "BACKUP", description = "The backup's archive, folder, manifest or id.")
        String reference;
        @Option(names = "--target-db", paramLabel = "NAME", description = "Database to restore into (default: DB_NAME).")
        String targetDb;
        @Option(names = "--force", description = "Replace the objects of a database that has some (pg_restore --clean --if-exists).")
        boolean force;
        @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "pg_restore jobs (default: PARALLEL_JOBS).")
        Integer jobs;
        @Option(names = "--schema", paramLabel = "SCHEMA", description = "Restore only this schema (repeatable).")
        List<String> schemas = new ArrayList<>();
        @Option(names = "--table", paramLabel = "SCHEMA.TABLE", description = "Restore only this table with its indexes, constraints and sequences (repeatable).")
        List<String> tables = new ArrayList<>();
        @Option(names = "--globals", description = "Also restore the roles saved with the backup (BACKUP_GLOBALS); needs a superuser.")
        boolean globals;
        @Option(names = "--no-owner", description = "Make the restoring user own every object.")
        boolean noOwner;
        @Option(names = "--no-privileges", description = "Do not restore privileges.")
        boolean noPrivileges;
        @Option(names = "--maintenance-db", paramLabel = "NAME", defaultValue = "postgres",
                description = "Existing database to connect to while the target is created (default: ${DEFAULT-VALUE}).")
        String maintenanceDb;
        @Option(names = "--remote", description = "Restore the copy with this id from BACKUP_REMOTE (downloaded, decrypted and checked first).")
        boolean remote;

        @Override
        public Integer call() {
            String target = targetDb != null ? targetDb : CliSettings.get(io.fortress.db.api.DbSettings.DATABASE, backup.fortress.environment());
            RestoreOptions.Builder options = RestoreOptions.builder().targetDatabase(target).force(force).globals(globals)
                    .noOwner(noOwner).noPrivileges(noPrivileges);
            if (jobs != null) {
                options.jobs(jobs);
            }
            schemas.forEach(options::schema);
            tables.forEach(options::table);
            ProgressListener progress = progressTo(spec.commandLine().getErr());
            RestoreResult r = backup.withManager(maintenanceDb, m -> remote ? m.restoreRemote(reference, options.build(), progress)
                    : m.restore(m.find(reference).path(), options.build(), progress));
            PrintWriter out = out();
            out.println("restored backup " + r.backup().id() + " into database " + r.targetDatabase()
                    + (r.createdDatabase() ? " (created)" : r.inPlace() ? " (in place)" : "") + " in " + r.duration().toMillis() + " ms");
            r.leftOut().forEach(l -> out.println("  not restored: " + l));
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Verify a backup (path or id): checksums, contents, full read, and with --level restore-drill a",
                    "restore into a scratch database compared with the manifest's row counts."})
    static final class Verify extends BackupSubcommand {
        @Parameters(index = "0", paramLabel = "BACKUP", description = "The backup's archive, folder, manifest or id.")
        String reference;
        @Option(names = "--level", paramLabel = "LEVEL", defaultValue = "full-read",
                description = "checksums, contents, full-read or restore-drill (default: ${DEFAULT-VALUE}).")
        String level;
        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;
        @Option(names = "--remote", description = "Verify the copy with this id in BACKUP_REMOTE: downloaded, decrypted, checked, then the levels.")
        boolean remote;

        @Override
        public Integer call() {
            VerifyLevel lvl = VerifyLevel.parse(level);
            PrintWriter out = out();
            VerificationReport report;
            int status = 0;
            try {
                report = backup.withManager(null, m -> remote ? m.verifyRemote(reference, lvl, ProgressListener.NONE)
                        : m.verifyBackup(m.find(reference).path(), lvl));
            } catch (BackupVerificationException e) {
                report = e.report();
                status = FortressCommand.FAILED;
            }
            out.println(json ? report.toJson() : report.summary());
            return status;
        }
    }

    @Command(name = "cleanup", mixinStandardHelpOptions = true,
            description = {"Delete this database's backups that no retention rule keeps (RETENTION_DAYS, BACKUP_MIN_KEEP,",
                    "BACKUP_KEEP_DAILY/WEEKLY/MONTHLY, pinned, newest verified), and sweep leftovers of interrupted runs."})
    static final class Cleanup extends BackupSubcommand {
        @Option(names = "--dry-run", description = "Only print what would be deleted and why.")
        boolean dryRun;
        @Option(names = "--json", description = "Print the decisions as JSON.")
        boolean json;
        @Option(names = "--remote", description = "Apply the remote rules (BACKUP_REMOTE_RETENTION_DAYS, BACKUP_REMOTE_MIN_KEEP, pinned) "
                + "to the copies in BACKUP_REMOTE instead.")
        boolean remote;

        @Override
        public Integer call() {
            RetentionPlan plan = backup.withManager(null, m -> remote ? (dryRun ? m.planRemoteCleanup() : m.cleanupRemote())
                    : dryRun ? m.planCleanup() : m.cleanupOldBackups());
            out().print(json ? plan.toJson() + "\n" : plan.describe());
            out().flush();
            return 0;
        }
    }

    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = {"Copy the backups not yet in BACKUP_REMOTE there now (each backup does so itself; this retries",
                    "after the repository was unreachable), after removing what interrupted uploads left."})
    static final class Upload extends BackupSubcommand {

        @Override
        public Integer call() {
            PrintWriter out = out();
            return backup.withManager(null, m -> {
                List<BackupInfo> copied = m.uploadPending();
                if (copied.isEmpty()) {
                    out.println("nothing to copy: every good backup is in " + m.config().remote().orElseThrow());
                }
                copied.forEach(b -> out.println("copied backup " + b.id() + (b.manifest().lifecycle().keyFingerprint() == null ? ""
                        : " (encrypted with key " + b.manifest().lifecycle().keyFingerprint() + ")")));
                return 0;
            });
        }
    }

    @Command(name = "decrypt", mixinStandardHelpOptions = true,
            description = {"Decrypt one object of BACKUP_REMOTE downloaded by any means (aws s3 cp, mc, a copy of the bucket),",
                    "without a database or the bucket: disaster recovery. The object name is its key below BACKUP_REMOTE's prefix,",
                    "<database>/<id>/<file>, which its encryption is bound to. Every chunk is authenticated; with --output",
                    "nothing is left behind when one fails. The format is specified in docs/backup.md (Object format)."})
    static final class Decrypt extends Subcommand {
        @Parameters(index = "0", paramLabel = "FILE", description = "The stored (encrypted) object.")
        java.nio.file.Path object;
        @Option(names = "--key-file", required = true, paramLabel = "K",
                description = "File holding the key (as BACKUP_ENCRYPTION_KEY_FILE: 64 hex digits, base64 or 32 bytes; mode 0600).")
        java.nio.file.Path keyFile;
        @Option(names = "--object-name", required = true, paramLabel = "N",
                description = "The object's key below the prefix, e.g. fortress/fortress_20240115_120000/fortress_20240115_120000.dump.")
        String objectName;
        @Option(names = {"-o", "--output"}, paramLabel = "OUT",
                description = "Write the plaintext to this new file (0600) instead of stdout.")
        java.nio.file.Path output;

        @Override
        public Integer call() throws java.io.IOException {
            try {
                if (output != null) {
                    RemoteObjectDecryptor.decryptToFile(object, keyFile, "--key-file", objectName, output);
                    out().println("decrypted " + objectName + " into " + output);
                } else {
                    java.io.OutputStream stdout = new java.io.FileOutputStream(java.io.FileDescriptor.out);
                    RemoteObjectDecryptor.decrypt(object, keyFile, "--key-file", objectName, stdout);
                    stdout.flush();
                }
                return 0;
            } catch (java.io.IOException e) {
                spec.commandLine().getErr().println("fortress: cannot decrypt " + object + ": " + e.getMessage()
                        + (output == null ? " (discard what was written to stdout)" : ""));
                return FortressCommand.FAILED;
            }
        }
    }

    /** Pin and unpin: the same change of a backup's pinned flag, in one direction or the other. */
    abstract static class PinChange extends BackupSubcommand {
        @Parameters(index = "0", paramLabel = "BACKUP")
        String reference;

        private final boolean pinned;

        PinChange(boolean pinned) {
            this.pinned = pinned;
        }

        @Override
        public Integer call() {
            BackupInfo b = backup.withManager(null, m -> m.pin(m.find(reference).path(), pinned));
            out().println((pinned ? "pinned " : "unpinned ") + b.id());
            return 0;
        }
    }

    @Command(name = "pin", mixinStandardHelpOptions = true, description = "Pin a backup: cleanup never deletes it.")
    static final class Pin extends PinChange {
        Pin() {
            super(true);
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true, description = "Unpin a backup: retention applies to it again.")
    static final class Unpin extends PinChange {
        Unpin() {
            super(false);
        }
    }
}
