package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupFormat;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.BackupPhase;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one backup, once the manager has chosen the tools and holds the database's lock: sweeps
 * leftovers, exports a snapshot, runs pg_dump on it while counting rows in the same snapshot,
 * publishes the archive crash-safely and writes the manifest last.
 */
public final class Dumper {
    private static final Logger LOG = LoggerFactory.getLogger(Dumper.class);
    private static final String TOOL = "fortress-db " + Optional.ofNullable(Dumper.class.getPackage().getImplementationVersion())
            .orElse("development");

    private final BackupContext ctx;

    public Dumper(BackupContext ctx) {
        this.ctx = ctx;
    }

    /** Runs the dump and returns the published backup (status completed); the caller holds the lock. */
    public BackupInfo dump(PgVersion server, ClientTools tools, Optional<String> compress, ProgressTracker progress) {
        BackupConfig config = ctx.config();
        BackupStore store = ctx.store();
        progress.phase(BackupPhase.PREPARING);
        store.sweep(ctx.database());
        store.checkFreeSpace(ctx.database(), config.freeSpaceMargin());
        Instant started = ctx.clock().instant();
        long t0 = System.nanoTime();
        String id = store.newId(ctx.database(), started);
        Path archive = store.archive(id, config.format());
        Path partial = BackupStore.partial(archive);
        Path globals = config.globals() ? store.globals(id) : null;
        List<String> warnings = new ArrayList<>();
        ExecutorService counter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fortress-backup-rowcount");
            t.setDaemon(true);
            return t;
        });
        CompletableFuture<List<ServerAccess.TableRows>> counts = null;
        Connection snapshot = null;
        try (ConnectionEnvironment env = ConnectionEnvironment.of(ctx.db(), ctx.server().primaryAddress())) {
            snapshot = ctx.server().primary(); // a pooled connection: no new login per backup
            String snapshotId = exportSnapshot(snapshot);
            List<ServerAccess.TableRows> tables = ServerAccess.tables(snapshot);
            progress.tablesTotal(config.includeData() ? tables.size() : 0);
            boolean counting = config.rowCounts() && config.includeData();
            // Rows are counted in the dump's own snapshot while pg_dump runs, so the counts match the archive exactly.
            Connection countOn = snapshot;
            counts = counting
                    ? CompletableFuture.supplyAsync(() -> countRows(countOn, tables), counter)
                    : CompletableFuture.completedFuture(tables);

            progress.phase(BackupPhase.DUMPING);
            BackupStore.createOwnerOnly(partial, config.format() == BackupFormat.DIRECTORY);
            progress.watch(partial);
            ToolProcess.Result dump = ToolProcess.run(pgDumpCommand(tools, partial, snapshotId, compress), env.variables(),
                    ctx.timeout(), progress.pgDumpLines());
            progress.stopWatching(); // the output is renamed below; the manager closes the tracker
            if (!dump.ok()) {
                String err = dump.errorTail(6);
                throw new BackupException(dump.failure() + ", backing up database " + ctx.database() + ": " + err + BackupContext.hint(err));
            }
            warnings.addAll(warnings(dump.stderr()));
            List<ServerAccess.TableRows> counted = awaitCounts(counts);

            if (globals != null) {
                progress.phase(BackupPhase.DUMPING_GLOBALS);
                BackupStore.createOwnerOnly(BackupStore.partial(globals), false); // it may hold role password hashes
                dumpGlobals(tools, env, BackupStore.partial(globals));
            }

            progress.phase(BackupPhase.PUBLISHING);
            BackupFiles.fsync(partial);
            store.publish(partial, archive);
            if (globals != null) {
                BackupFiles.fsync(BackupStore.partial(globals));
                store.publish(BackupStore.partial(globals), globals);
            }
            List<BackupManifest.FileEntry> files = store.describe(archive, globals);
            long size = files.stream().mapToLong(BackupManifest.FileEntry::sizeBytes).sum();
            progress.bytes(size);
            ArchiveToc toc = ArchiveToc.read(tools, archive, ctx.timeout());
            Instant finished = ctx.clock().instant();
            BackupManifest manifest = new BackupManifest(BackupManifest.VERSION, id, ctx.database(),
                    new BackupManifest.Contents(config.format().spelling(), config.compression().toString(), config.includeSchema(),
                            config.includeData(), counting, toc.declaredEntries().orElse(toc.entries().size()),
                            counted.stream().map(t -> new BackupManifest.TableEntry(t.schema(), t.name(), t.rows())).toList(),
                            List.copyOf(warnings)),
                    new BackupManifest.Source(started.toString(), finished.toString(), Duration.ofNanos(System.nanoTime() - t0).toMillis(),
                            ctx.server().primaryAddress().host(), ctx.server().primaryAddress().port(), server.text(), server.num(),
                            tools.version().text(), tools.pgDump(), TOOL),
                    new BackupManifest.FileSet(archive.getFileName().toString(), globals == null ? null : globals.getFileName().toString(),
                            size, files),
                    BackupManifest.Lifecycle.completed());
            store.writeManifest(manifest);
            return store.read(store.manifest(id)).orElseThrow(() -> new BackupException("the manifest of " + id
                    + " was written but cannot be read back; see the log"));
        } catch (SQLException e) {
            removeLeftovers(partial, archive, globals);
            throw new BackupException("backup of database " + ctx.database() + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            removeLeftovers(partial, archive, globals);
            throw new BackupException("backup of database " + ctx.database() + " failed writing " + store.dir() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            removeLeftovers(partial, archive, globals);
            throw e;
        } finally {
            closeSnapshot(snapshot, counts);
            counter.shutdownNow();
        }
    }

    /** Ends the snapshot transaction; a count still running (after a failure) is cut off by closing the socket. */
    private static void closeSnapshot(Connection snapshot, CompletableFuture<?> counts) {
        if (snapshot == null) {
            return;
        }
        try {
            if (counts != null && !counts.isDone()) {
                snapshot.abort(Runnable::run);
            } else {
                snapshot.rollback();
                snapshot.close();
            }
        } catch (SQLException ignored) {
            // the connection is gone either way
        }
    }

    private List<String> pgDumpCommand(ClientTools tools, Path output, String snapshotId, Optional<String> compress) {
        BackupConfig config = ctx.config();
        List<String> cmd = new ArrayList<>(List.of(tools.pgDump(), "--format=" + config.format().flag(), "--file=" + output,
                "--no-password", "--verbose", "--snapshot=" + snapshotId));
        if (!config.lockWaitTimeout().isZero()) {
            cmd.add("--lock-wait-timeout=" + config.lockWaitTimeout().toMillis());
        }
        compress.ifPresent(z -> cmd.add("--compress=" + z));
        if (config.format() == BackupFormat.DIRECTORY && config.parallelJobs() > 1) {
            cmd.add("--jobs=" + config.parallelJobs());
        }
        if (!config.includeSchema()) {
            cmd.add("--data-only");
        }
        if (!config.includeData()) {
            cmd.add("--schema-only");
        }
        cmd.add("--dbname=" + ServerAccess.dbnameConninfo(ctx.database()));
        return cmd;
    }

    private void dumpGlobals(ClientTools tools, ConnectionEnvironment env, Path output) {
        List<String> cmd = new ArrayList<>(List.of(tools.pgDumpAll(), "--globals-only", "--no-password", "--file=" + output));
        if (!ctx.config().rolePasswords()) {
            cmd.add("--no-role-passwords");
        }
        cmd.add("--database=" + ServerAccess.dbnameConninfo(ctx.database()));
        ToolProcess.Result r = ToolProcess.run(cmd, env.variables(), ctx.timeout(), null);
        if (!r.ok()) {
            String err = r.errorTail(6);
            throw new BackupException(r.failure() + ", dumping roles and tablespaces (--globals-only): " + err
                    + (err.contains("permission denied") ? "; saving role passwords needs a superuser: set BACKUP_ROLE_PASSWORDS=false"
                    + " or BACKUP_GLOBALS=false" : BackupContext.hint(err)));
        }
    }

    private static String exportSnapshot(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            s.execute("SET LOCAL statement_timeout = 0");
            // the row counts run beside pg_dump: parallel workers would take the cores its COPY and compression need
            s.execute("SET LOCAL max_parallel_workers_per_gather = 0");
            try (ResultSet rs = s.executeQuery("SELECT pg_export_snapshot()")) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static List<ServerAccess.TableRows> countRows(Connection c, List<ServerAccess.TableRows> tables) {
        try {
            return ServerAccess.count(c, tables);
        } catch (SQLException e) {
            throw new BackupException("cannot count the rows of the dumped tables: " + e.getMessage(), e);
        }
    }

    private static List<ServerAccess.TableRows> awaitCounts(CompletableFuture<List<ServerAccess.TableRows>> counts) {
        try {
            return counts.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("backup cancelled while counting rows", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof BackupException b ? b : new BackupException("row counting failed: " + e.getCause(), e.getCause());
        }
    }

    /** Lines of pg_dump's stderr that are warnings, for the manifest (its verbose progress lines are not). */
    private static List<String> warnings(List<String> stderr) {
        return stderr.stream().filter(l -> l.contains("warning:")).toList();
    }

    private static void removeLeftovers(Path... paths) {
        for (Path p : paths) {
            if (p != null) {
                BackupFiles.deleteQuietly(p);
                BackupFiles.deleteQuietly(BackupStore.partial(p));
            }
        }
        LOG.debug("removed the files of a failed backup");
    }
}
