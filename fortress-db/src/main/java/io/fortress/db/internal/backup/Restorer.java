package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.BackupPhase;
import io.fortress.db.backup.BackupVerificationException;
import io.fortress.db.backup.RestoreOptions;
import io.fortress.db.backup.RestoreResult;
import io.fortress.db.backup.VerificationReport;
import io.fortress.db.backup.VerifyLevel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a backup: checksums first, then into a new (or empty) database by default, or in place
 * with force; all of it, or chosen schemas and tables; roles first when asked. A database the
 * restore created is dropped again when the restore fails.
 */
public record Restorer(BackupContext ctx, Verifier verifier) {
    private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);

    public RestoreResult restore(BackupInfo backup, RestoreOptions options, ProgressTracker progress) {
        long t0 = System.nanoTime();
        progress.phase(BackupPhase.VERIFYING);
        VerificationReport.Check sums = verifier.checksums(backup);
        if (sums.outcome() != VerificationReport.Outcome.PASSED) {
            throw new BackupVerificationException(new VerificationReport(backup.id(), backup.path().toString(), VerifyLevel.CHECKSUMS,
                    List.of(sums)));
        }
        BackupManifest m = backup.manifest();
        String target = options.targetDatabase().orElse(ctx.database());
        if (options.globals() && m.files().globals() == null) {
            throw new BackupException("backup " + backup.id() + " has no globals file (it was taken with BACKUP_GLOBALS=false); "
                    + "restore without --globals");
        }
        boolean exists = ctx.server().databaseExists(target);
        if (!m.contents().includeSchema() && !exists) {
            throw new BackupException("backup " + backup.id() + " holds data only (BACKUP_INCLUDE_SCHEMA=false); restore it into a "
                    + "database that has the tables already");
        }
        PgVersion server = ctx.server().serverVersion();
        ClientTools tools = ctx.toolsForArchive(PgVersion.parseVersionText(m.source().pgDumpVersion()), server);
        int jobs = options.jobs().orElse(ctx.config().parallelJobs());

        boolean inPlace = false;
        if (exists && m.contents().includeSchema()) {
            long objects = ctx.server().userObjects(target);
            if (objects > 0 && !options.force()) {
                throw new BackupException("database " + ServerAccess.quoteIdent(target) + " already exists and holds " + objects
                        + " objects; restore into a new database instead (--target-db NAME, or DB_NAME=NAME), "
                        + "or pass --force to replace its objects in place (pg_restore --clean --if-exists)");
            }
            inPlace = objects > 0;
        }
        boolean created = false;
        // checked (version, checksum, meta-commands) before anything changes
        GlobalsScript globals = options.globals() ? GlobalsScript.prepare(backup, tools) : null;
        try (globals; ConnectionEnvironment env = ConnectionEnvironment.of(ctx.db(), ctx.server().primaryAddress())) {
            if (globals != null) {
                progress.item("globals");
                restoreGlobals(tools, env, globals, m.files().globals());
            }
            if (!exists) {
                ctx.server().createDatabase(target);
                created = true;
            }
            RestoreSelection selection = null;
            if (!options.schemas().isEmpty() || !options.tables().isEmpty()) {
                ArchiveToc toc = ArchiveToc.read(tools, backup.path(), ctx.timeout());
                boolean fresh = created;
                selection = RestoreSelection.of(toc, options.schemas(), options.tables(),
                        schema -> !fresh && ctx.server().schemaExists(target, schema), !inPlace);
            }
            progress.phase(BackupPhase.RESTORING);
            progress.tablesTotal(selection == null ? m.contents().tables().size()
                    : (int) selection.chosen().stream().filter(e -> e.type().equals("TABLE DATA")).count());
            int entries = runPgRestore(tools, env, backup, target, jobs, inPlace, options, selection, progress);
            if (options.analyze()) {
                analyze(target);
            }
            progress.phase(BackupPhase.DONE);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            LOG.info("restored backup {} into database {} ({}{}) in {} ms", backup.id(), target,
                    created ? "created" : inPlace ? "in place" : "empty", selection == null ? "" : ", " + entries + " entries",
                    took.toMillis());
            return new RestoreResult(backup, target, created, inPlace, entries, selection == null ? List.of() : selection.leftOut(),
                    options.globals(), took);
        } catch (RuntimeException e) {
            if (created) {
                try {
                    ctx.server().dropDatabase(target);
                    LOG.info("dropped database {} which the failed restore had created", target);
                } catch (RuntimeException dropFailure) {
                    e.addSuppressed(dropFailure);
                }
            }
            throw e;
        }
    }

    private int runPgRestore(ClientTools tools, ConnectionEnvironment env, BackupInfo backup, String target, int jobs, boolean inPlace,
                             RestoreOptions options, RestoreSelection selection, ProgressTracker progress) {
        List<String> cmd = new ArrayList<>(List.of(tools.pgRestore(), "--no-password", "--verbose", "--exit-on-error"));
        if (jobs > 1) {
            cmd.add("--jobs=" + jobs);
        }
        if (inPlace) {
            cmd.add("--clean");
            cmd.add("--if-exists");
            if (jobs == 1) {
                cmd.add("--single-transaction"); // all or nothing; pg_restore cannot combine it with jobs
            }
        }
        if (options.noOwner()) {
            cmd.add("--no-owner");
        }
        if (options.noPrivileges()) {
            cmd.add("--no-privileges");
        }
        Path listFile = null;
        try {
            if (selection != null) {
                listFile = Files.createTempFile("fortress-restore-", ".list",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(listFile, selection.listFile(), StandardCharsets.UTF_8);
                cmd.add("--use-list=" + listFile);
            }
            cmd.add("--dbname=" + ServerAccess.dbnameConninfo(target));
            cmd.add(backup.path().toString());
            ToolProcess.Result r = ToolProcess.run(cmd, env.variables(), ctx.timeout(), progress.pgRestoreLines());
            if (!r.ok()) {
                String err = r.errorTail(6);
                throw new BackupException(r.failure() + ", restoring backup " + backup.id() + " into database " + ServerAccess.quoteIdent(target)
                        + (inPlace && jobs == 1 ? "; nothing was changed" : "") + ": " + err + BackupContext.hint(err));
            }
            return selection == null ? backup.manifest().contents().tocEntries() : selection.chosen().size();
        } catch (IOException e) {
            throw new BackupException("cannot write the restore list file: " + e.getMessage(), e);
        } finally {
            if (listFile != null) {
                BackupFiles.deleteQuietly(listFile);
            }
        }
    }

    /**
     * Runs the globals file with psql in restricted mode ({@link GlobalsScript}). Roles that exist
     * already (SQLSTATE 42710, e.g. the superuser itself) are expected; any other error, and any
     * meta-command psql refused, fails the restore.
     */
    private void restoreGlobals(ClientTools tools, ConnectionEnvironment env, GlobalsScript globals, String name) {
        ToolProcess.Result r = ToolProcess.run(globals.command(tools, ServerAccess.dbnameConninfo(ctx.database())), env.variables(),
                ctx.timeout(), null);
        List<String> errors = globals.errors(r.stderr());
        if (!r.ok() || !errors.isEmpty()) {
            String err = errors.isEmpty() ? r.errorTail(4) : String.join("\n", errors.subList(0, Math.min(4, errors.size())));
            throw new BackupException((r.ok() ? "" : r.failure() + ", ") + "restoring roles and tablespaces from " + name + " failed: " + err
                    + (err.contains("permission denied") || err.contains("must be superuser")
                    ? "; restoring globals needs a superuser (or CREATEROLE) login" : ""));
        }
    }

    private void analyze(String target) {
        try (Connection c = ctx.server().open(target); Statement s = c.createStatement()) {
            s.execute("ANALYZE");
        } catch (SQLException e) {
            LOG.warn("ANALYZE after restoring into {} failed: {}", target, e.getMessage());
        }
    }
}
