package io.fortress.db.migrate;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A migration run: walks the planned versions one file at a time over {@link MigrationTables}, which
 * hold the lock, the version and the history. Each file runs in a transaction with its version and
 * history row, or outside one under golang-migrate's dirty-version protocol. Closing it resets the
 * session and releases the lock.
 */
final class LockedRun implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LockedRun.class);

    private final MigrationTables tables;
    private final Session session;
    private final MigrationConfig config;
    private final MigrationCatalog catalog;

    private LockedRun(MigrationTables tables, MigrationConfig config, MigrationCatalog catalog) {
        this.tables = tables;
        this.session = tables.session();
        this.config = config;
        this.catalog = catalog;
    }

    /** Takes the lock and prepares the tables (see {@link MigrationTables#lock}). */
    static LockedRun open(Connection c, MigrationConfig config, MigrationCatalog catalog) throws SQLException {
        return new LockedRun(MigrationTables.lock(c, config, catalog), config, catalog);
    }

    TableNames names() {
        return session.names();
    }

    DatabaseState state() throws SQLException {
        return tables.state();
    }

    /** Runs the planned steps, stopping early when {@code stopRequested} says so (or the thread is interrupted) between two migrations. */
    MigrationResult apply(Planner.Plan plan, long from, BooleanSupplier stopRequested) throws SQLException {
        List<MigrationResult.Applied> applied = new ArrayList<>();
        long current = from;
        boolean stopped = false;
        List<Planner.Step> steps = plan.steps();
        if (!steps.isEmpty()) {
            warnOfDrift(from);
        }
        for (int i = 0; i < steps.size(); i++) {
            Planner.Step step = steps.get(i);
            if (stopRequested.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                log.info("{}: stopping at version {} as asked; {} of {} migrations ran", names().display(), Planner.display(current),
                        applied.size(), steps.size());
                stopped = true;
                break;
            }
            // the run's last migration records the schema's fingerprint (once per run: reading it costs a catalog scan)
            applied.add(run(step, i == steps.size() - 1));
            current = step.to();
            tables.verifyLockHeld(describe(step));
        }
        return new MigrationResult(from, current, applied, stopped ? 0 : plan.shortBy(), stopped);
    }

    /**
     * The run records the schema as it leaves it, so changes made outside migrations since the last
     * recorded fingerprint would pass into the new one unnoticed: they are logged first. Never fails the run.
     */
    private void warnOfDrift(long from) {
        if (!tables.recordsFingerprints()) {
            return;
        }
        Connection c = session.connection();
        try {
            c.setAutoCommit(false);
            List<String> changes = tables.schemaChangesSince(from);
            if (!changes.isEmpty()) {
                log.warn("{}: schema {} changed outside migrations since version {} was applied ({}); the fingerprint this run "
                        + "records includes these changes", names().display(), names().schema(), Planner.display(from),
                        String.join("; ", changes));
            }
            c.rollback();
            c.setAutoCommit(true);
        } catch (SQLException | RuntimeException e) {
            session.rollbackQuietly();
            log.warn("{}: could not compare the schema with its recorded fingerprint before migrating: {}", names().display(),
                    e.getMessage());
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // the connection is broken: the first migration reports it
            }
        }
    }

    private MigrationResult.Applied run(Planner.Step step, boolean fingerprint) throws SQLException {
        Script script = step.script();
        Script.Analysis analysis = step.analysis();
        long started = System.nanoTime();
        if (analysis.mode() == TransactionMode.TRANSACTION) {
            runInTransaction(step, analysis, fingerprint);
        } else {
            runOutsideTransaction(step, analysis, fingerprint);
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        int statements = analysis.statements().size();
        log.info("{}: ran {} in {} ms ({} statement{}, {}); now at version {}", names().display(), describe(step), ms, statements,
                statements == 1 ? "" : "s", analysis.mode() == TransactionMode.TRANSACTION ? "in a transaction" : "outside a transaction",
                Planner.display(step.to()));
        return new MigrationResult.Applied(step.migration().version(), step.migration().name(), step.direction(),
                script == null ? null : script.fileName(), analysis.mode(), analysis.statements().size(), ms);
    }

    /** The file, the version update and the history row commit together, or not at all. */
    private void runInTransaction(Planner.Step step, Script.Analysis analysis, boolean fingerprint) throws SQLException {
        Connection c = session.connection();
        HistoryTable.Event event = event(step);
        long t0 = System.nanoTime();
        OffsetDateTime started = null;
        Progress progress = new Progress();
        try {
            c.setAutoCommit(false);
            started = session.serverNow();
            if (!config.statementLockTimeout().isZero()) {
                session.setLocalLockTimeout(config.statementLockTimeout());
            }
            progress.runAll(analysis.statements());
            session.restoreIdentity();
            tables.setVersion(step.to(), false);
            record(event.ran(TransactionMode.TRANSACTION, analysis.statements().size(), progress.done, started, elapsed(t0)), fingerprint);
            c.commit();
        } catch (SQLException e) {
            throw failed(step, analysis, event.ran(TransactionMode.TRANSACTION, analysis.statements().size(), progress.done, started,
                    elapsed(t0)), progress.current, e, false);
        } catch (RuntimeException | Error e) {
            abandon(e);
            throw e;
        }
        c.setAutoCommit(true);
        session.reset();
        session.applyBaseline();
    }

    /**
     * golang-migrate's protocol for a file PostgreSQL will not run in a transaction: mark the target
     * version dirty, run the statements one by one, then mark it clean. A failure leaves it dirty.
     */
    private void runOutsideTransaction(Planner.Step step, Script.Analysis analysis, boolean fingerprint) throws SQLException {
        Connection c = session.connection();
        HistoryTable.Event event = event(step);
        int total = analysis.statements().size();
        long t0 = System.nanoTime();
        OffsetDateTime started = session.serverNow();
        tables.inTransaction(() -> {
            tables.setVersion(step.to(), true);
            tables.record(event.ran(TransactionMode.NONE, total, 0, started, null).running());
        });
        Progress progress = new Progress();
        try {
            session.setLockTimeout(config.nonTransactionalLockTimeout());
            progress.runAll(analysis.statements());
            if (session.inTransactionBlock()) {
                session.execute("ROLLBACK");
                throw new SQLException("the file left a transaction open (a BEGIN without COMMIT); it was rolled back", "25001");
            }
            session.reset();
            session.applyBaseline();
            c.setAutoCommit(false);
            tables.setVersion(step.to(), false);
            record(event.ran(TransactionMode.NONE, total, progress.done, started, elapsed(t0)), fingerprint);
            c.commit();
            c.setAutoCommit(true);
        } catch (SQLException e) {
            throw failed(step, analysis, event.ran(TransactionMode.NONE, total, progress.done, started, elapsed(t0)), progress.current, e,
                    true);
        } catch (RuntimeException | Error e) {
            abandon(e);
            throw e;
        }
    }

    /** force: sets the version, clean, running nothing; works on a dirty version. */
    void force(long version) throws SQLException {
        Connection c = session.connection();
        MigrationVersion before = tables.version();
        tables.inTransaction(() -> {
            tables.setVersion(version, false);
            // force says the schema is what the version made: its fingerprint becomes the one to compare with
            tables.recordWithFingerprint(HistoryTable.Event.of(catalog.get(version), version, HistoryEntry.Kind.FORCE,
                    HistoryEntry.Status.SUCCESS, before.version(), version));
        });
        log.warn("{}: forced the version from {} to {} without running anything", names().display(), before, Planner.display(version));
    }

    /** Records the current files of a version as applied, running nothing ({@code adopt} or {@code repair_checksum}). */
    void record(long version, HistoryEntry.Kind kind) throws SQLException {
        long current = tables.version().version();
        tables.record(HistoryTable.Event.of(catalog.get(version), version, kind, HistoryEntry.Status.SUCCESS, current, current));
        log.warn("{}: recorded the current files of version {} as applied ({}), running nothing", names().display(), version, kind.label());
    }

    /** A file's statements run one by one, remembering the one running and how many completed, for a failure's report. */
    private final class Progress {
        SqlStatement current;
        int done;

        void runAll(List<SqlStatement> statements) throws SQLException {
            for (SqlStatement s : statements) {
                current = s;
                session.execute(s.text());
                done++;
            }
            current = null;
        }
    }

    private HistoryTable.Event event(Planner.Step step) {
        Migration m = step.migration();
        HistoryEntry.Kind kind = step.direction() == Direction.UP ? HistoryEntry.Kind.UP : HistoryEntry.Kind.DOWN;
        return HistoryTable.Event.of(m, m.version(), kind, HistoryEntry.Status.SUCCESS, step.from(), step.to());
    }

    /** The history row of a file that ran; the run's last one carries the schema's fingerprint. */
    private void record(HistoryTable.Event ran, boolean fingerprint) throws SQLException {
        if (fingerprint) {
            tables.recordWithFingerprint(ran);
        } else {
            tables.record(ran);
        }
    }

    /** Writes the failed history row on its own; a broken connection only loses the row, never the original error. */
    private void record(SQLException cause, HistoryTable.Event failed) {
        try {
            tables.record(failed);
        } catch (SQLException e) {
            cause.addSuppressed(e);
            log.warn("{}: could not record the failure of version {} in the history: {}", names().display(), failed.version(), e.getMessage());
        }
    }

    /**
     * After a failed statement: rolls back, restores the session, records the failure in the history
     * and returns the exception that explains it.
     *
     * @param ran     the step's event with its counts and times
     * @param current the statement that failed; null when the failure came after the file's statements
     * @param dirty   whether the file ran outside a transaction, leaving the version dirty
     */
    private MigrationFailedException failed(Planner.Step step, Script.Analysis analysis, HistoryTable.Event ran, SqlStatement current,
                                            SQLException e, boolean dirty) {
        abandon(e);
        record(e, ran.failed(e.getSQLState(), e.getMessage(), current == null ? 0 : current.index(), current == null ? null : current.text()));
        return failure(step, analysis, current, ran.statementsApplied(), e, dirty);
    }

    /** Rolls back what is open and restores the session's baseline; a failure to do so is added to {@code cause}. */
    private void abandon(Throwable cause) {
        session.rollbackQuietly();
        try {
            session.connection().setAutoCommit(true);
            session.reset();
            session.applyBaseline();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private MigrationFailedException failure(Planner.Step step, Script.Analysis analysis, SqlStatement statement, int done,
                                             SQLException e, boolean dirty) {
        String file = describe(step);
        StringBuilder m = new StringBuilder(names().display()).append(": ").append(file).append(" failed");
        if (statement != null) {
            m.append(" at statement ").append(statement.index()).append(" (line ").append(statement.line()).append(": ")
                    .append(statement.abbreviated()).append(')');
        }
        m.append(": ").append(e.getMessage().replaceAll("\\s+", " ")).append(" (SQLSTATE ").append(e.getSQLState()).append("). ");
        if (!dirty) {
            m.append("It ran in a transaction, so nothing of it was applied and the version is still ").append(Planner.display(step.from()))
                    .append(", clean: fix the file and run again, no force needed.");
        } else {
            m.append("It ran outside a transaction: ").append(done).append(" of ").append(analysis.statements().size())
                    .append(" statements completed and the version is now ").append(Planner.display(step.to())).append(", dirty. ");
            if (statement != null && (statement.startsWith("CREATE", "INDEX", "CONCURRENTLY")
                    || statement.startsWith("CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"))) {
                m.append("A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: DROP INDEX it. ");
            }
            m.append("Repair the schema by hand, then force(").append(step.from()).append(") (`")
                    .append(Validator.command("force", step.from(), names(), catalog)).append("`) if it is as before this file, or force(")
                    .append(step.to()).append(") (`").append(Validator.command("force", step.to(), names(), catalog))
                    .append("`) once the change is complete, and run again.");
        }
        return new MigrationFailedException(m.toString(), e, e.getSQLState(), step.migration().version(), file,
                statement == null ? 0 : statement.index(), dirty);
    }

    private static String describe(Planner.Step step) {
        Script script = step.script();
        return script != null ? script.fileName() : "version " + step.migration().version() + " " + step.direction().name().toLowerCase()
                + " (no file, nothing to run)";
    }

    private static long elapsed(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /** Resets the session and releases the lock. */
    @Override
    public void close() {
        tables.close();
    }
}
