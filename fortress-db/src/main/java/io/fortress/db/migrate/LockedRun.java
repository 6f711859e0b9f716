package io.fortress.db.migrate;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A migration run holding the lock on one connection: it creates the tables, records what
 * golang-migrate did since the last run, then runs the planned files one by one. Closing it
 * resets the session and releases the lock.
 */
final class LockedRun implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LockedRun.class);

    private final Session session;
    private final MigrationLock lock;
    private final MigrationConfig config;
    private final MigrationCatalog catalog;
    /** Whether the history table has the schema_fingerprint column (one from before fingerprints may not). */
    private boolean fingerprints = true;

    private LockedRun(Session session, MigrationLock lock, MigrationConfig config, MigrationCatalog catalog) {
        this.session = session;
        this.lock = lock;
        this.config = config;
        this.catalog = catalog;
    }

    /**
     * Takes the lock, then sets the session's baseline, creates missing tables and reconciles the
     * history, in one transaction. The session is changed only once the lock is held, so a lock that
     * cannot be taken leaves the connection as it was; from then on {@link #close()} resets it.
     */
    static LockedRun open(Connection c, MigrationConfig config, MigrationCatalog catalog) throws SQLException {
        c.setAutoCommit(true);
        Session session = Session.open(c, config);
        MigrationLock lock = MigrationLock.acquire(session, MigrationLock.keys(config.lockKeys(), session.database(), session.names()),
                config.lockTimeout());
        LockedRun run = new LockedRun(session, lock, config, catalog);
        try {
            session.applyBaseline();
            run.prepareTables();
        } catch (SQLException | RuntimeException e) {
            run.closeAfter(e);
            throw e;
        }
        return run;
    }

    TableNames names() {
        return session.names();
    }

    DatabaseState state() throws SQLException {
        return StateReader.readIn(session.connection(), session.names());
    }

    private void prepareTables() throws SQLException {
        Connection c = session.connection();
        TableNames names = session.names();
        c.setAutoCommit(false);
        try {
            VersionTable.create(c, names);
            boolean hadHistory = HistoryTable.exists(c, names);
            if (!hadHistory) {
                HistoryTable.create(c, names);
            } else {
                fingerprints = HistoryTable.upgrade(c, names);
            }
            List<MigrationVersion> rows = VersionTable.rows(c, names);
            MigrationVersion v = rows.isEmpty() ? MigrationVersion.NIL : rows.get(0);
            if (rows.size() <= 1 && !v.dirty()) {
                reconcile(v.version(), hadHistory);
            }
            c.commit();
        } catch (SQLException e) {
            session.rollbackQuietly();
            if ("42501".equals(e.getSQLState())) {
                throw new MigrationException("cannot create " + names.display() + " or its history: " + e.getMessage()
                        + ". Migrate as the role that owns schema " + names.schema() + "; an administrator creates it for that role "
                        + "(CREATE SCHEMA " + names.quotedSchema() + " AUTHORIZATION <role>, see docs/migrations.md)", e);
            }
            throw e;
        } catch (RuntimeException e) {
            session.rollbackQuietly();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Records adoption of a golang-migrate database, or versions golang-migrate moved since the last run. */
    private void reconcile(long current, boolean hadHistory) throws SQLException {
        Connection c = session.connection();
        TableNames names = session.names();
        HistoryLog history = new HistoryLog(true, HistoryTable.read(c, names));
        Optional<Long> recorded = history.lastRecordedVersion();
        long last = recorded.orElse(-1L);
        if (recorded.isPresent() && last == current || recorded.isEmpty() && current == -1) {
            return;
        }
        if (current > last) {
            HistoryEntry.Kind kind = hadHistory ? HistoryEntry.Kind.EXTERNAL_UP : HistoryEntry.Kind.ADOPT;
            TreeSet<Long> versions = new TreeSet<>(catalog.all().stream().map(Migration::version).filter(v -> v > last && v <= current).toList());
            versions.add(current);
            for (long v : versions) {
                HistoryTable.insert(c, names, HistoryTable.Event.of(catalog.get(v), v, kind, HistoryEntry.Status.SUCCESS, last, current),
                        session.clientInfo());
            }
            log.info("{}: recorded versions {} as {} (applied by golang-migrate; nothing was run)", names.display(), versions, kind.label());
        } else {
            TreeSet<Long> versions = new TreeSet<>(history.appliedVersions().stream().filter(v -> v > current && v <= last).toList());
            catalog.all().stream().map(Migration::version).filter(v -> v > current && v <= last).forEach(versions::add);
            for (long v : versions.descendingSet()) {
                HistoryTable.insert(c, names, HistoryTable.Event.of(catalog.get(v), v, HistoryEntry.Kind.EXTERNAL_DOWN,
                        HistoryEntry.Status.SUCCESS, last, current), session.clientInfo());
            }
            log.info("{}: recorded versions {} as rolled back by golang-migrate (external_down)", names.display(), versions.descendingSet());
        }
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
            applied.add(run(step, fingerprints && i == steps.size() - 1));
            current = step.to();
            lock.verifyHeld(describe(step));
        }
        return new MigrationResult(from, current, applied, stopped ? 0 : plan.shortBy(), stopped);
    }

    /**
     * The run records the schema as it leaves it, so changes made outside migrations since the last
     * recorded fingerprint would pass into the new one unnoticed: they are logged first. Never fails the run.
     */
    private void warnOfDrift(long from) {
        if (!fingerprints) {
            return;
        }
        Connection c = session.connection();
        try {
            c.setAutoCommit(false);
            List<String> changes = StateReader.compare(c, names(), from).map(DatabaseState.SchemaComparison::changes).orElse(List.of());
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
        TableNames names = session.names();
        HistoryTable.Event event = event(step);
        long t0 = System.nanoTime();
        OffsetDateTime started = null;
        SqlStatement current = null;
        int done = 0;
        try {
            c.setAutoCommit(false);
            started = session.serverNow();
            if (!config.statementLockTimeout().isZero()) {
                session.setLocalLockTimeout(config.statementLockTimeout());
            }
            for (SqlStatement s : analysis.statements()) {
                current = s;
                session.execute(s.text());
                done++;
            }
            current = null;
            session.restoreIdentity();
            VersionTable.write(c, names, step.to(), false);
            HistoryTable.Event ran = event.ran(TransactionMode.TRANSACTION, analysis.statements().size(), done, started, elapsed(t0));
            HistoryTable.insert(c, names, fingerprint ? ran.fingerprinted(SchemaFingerprint.recordable(c, names)) : ran,
                    session.clientInfo());
            c.commit();
        } catch (SQLException e) {
            throw failed(step, analysis, event.ran(TransactionMode.TRANSACTION, analysis.statements().size(), done, started, elapsed(t0)),
                    current, e, false);
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
        TableNames names = session.names();
        HistoryTable.Event event = event(step);
        int total = analysis.statements().size();
        long t0 = System.nanoTime();
        c.setAutoCommit(false);
        OffsetDateTime started;
        try {
            started = session.serverNow();
            VersionTable.write(c, names, step.to(), true);
            HistoryTable.insert(c, names, event.ran(TransactionMode.NONE, total, 0, started, null).running(), session.clientInfo());
            c.commit();
        } catch (SQLException | RuntimeException e) {
            session.rollbackQuietly();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
        SqlStatement current = null;
        int done = 0;
        try {
            session.setLockTimeout(config.nonTransactionalLockTimeout());
            for (SqlStatement s : analysis.statements()) {
                current = s;
                session.execute(s.text());
                done++;
            }
            current = null;
            if (session.inTransactionBlock()) {
                session.execute("ROLLBACK");
                throw new SQLException("the file left a transaction open (a BEGIN without COMMIT); it was rolled back", "25001");
            }
            session.reset();
            session.applyBaseline();
            c.setAutoCommit(false);
            VersionTable.write(c, names, step.to(), false);
            HistoryTable.Event ran = event.ran(TransactionMode.NONE, total, done, started, elapsed(t0));
            HistoryTable.insert(c, names, fingerprint ? ran.fingerprinted(SchemaFingerprint.recordable(c, names)) : ran,
                    session.clientInfo());
            c.commit();
            c.setAutoCommit(true);
        } catch (SQLException e) {
            throw failed(step, analysis, event.ran(TransactionMode.NONE, total, done, started, elapsed(t0)), current, e, true);
        } catch (RuntimeException | Error e) {
            abandon(e);
            throw e;
        }
    }

    /** force: sets the version, clean, running nothing; works on a dirty version. */
    void force(long version) throws SQLException {
        Connection c = session.connection();
        List<MigrationVersion> rows = VersionTable.rows(c, names());
        MigrationVersion before = rows.isEmpty() ? MigrationVersion.NIL : rows.get(0);
        c.setAutoCommit(false);
        try {
            VersionTable.write(c, names(), version, false);
            // force says the schema is what the version made: its fingerprint becomes the one to compare with
            HistoryTable.insert(c, names(), HistoryTable.Event.of(catalog.get(version), version, HistoryEntry.Kind.FORCE,
                    HistoryEntry.Status.SUCCESS, before.version(), version)
                    .fingerprinted(fingerprints ? SchemaFingerprint.recordable(c, names()) : null),
                    session.clientInfo());
            c.commit();
        } catch (SQLException | RuntimeException e) {
            session.rollbackQuietly();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
        log.warn("{}: forced the version from {} to {} without running anything", names().display(), before, Planner.display(version));
    }

    /** Records the current files of an applied version as the applied ones. */
    void repairChecksum(long version, long current) throws SQLException {
        HistoryTable.insert(session.connection(), names(), HistoryTable.Event.of(catalog.get(version), version,
                HistoryEntry.Kind.REPAIR_CHECKSUM, HistoryEntry.Status.SUCCESS, current, current), session.clientInfo());
        log.warn("{}: accepted the current files of version {} as applied (repair_checksum)", names().display(), version);
    }

    private HistoryTable.Event event(Planner.Step step) {
        Migration m = step.migration();
        HistoryEntry.Kind kind = step.direction() == Direction.UP ? HistoryEntry.Kind.UP : HistoryEntry.Kind.DOWN;
        return HistoryTable.Event.of(m, m.version(), kind, HistoryEntry.Status.SUCCESS, step.from(), step.to());
    }

    /** Writes the failed history row on its own; a broken connection only loses the row, never the original error. */
    private void record(SQLException cause, HistoryTable.Event failed) {
        try {
            HistoryTable.insert(session.connection(), names(), failed, session.clientInfo());
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
            m.append("Repair the schema by hand, then force(").append(step.from()).append(") if it is as before this file, or force(")
                    .append(step.to()).append(") once the change is complete, and run again.");
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

    /** Resets the session and releases the lock; a lock that cannot be released takes the connection down with it. */
    @Override
    public void close() {
        closeAfter(null);
    }

    private void closeAfter(Throwable failure) {
        Connection c = session.connection();
        try {
            c.setAutoCommit(true);
            session.rollbackQuietly();
            session.reset();
            if (!lock.release()) {
                log.error("{}: the migration lock {} was not held any more when released", names().display(), lock.keys());
            }
        } catch (SQLException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            }
            log.warn("{}: could not reset the session and release the migration lock ({}); closing the connection to end the "
                    + "session, which releases the lock", names().display(), e.getMessage());
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException abortFailure) {
                log.debug("abort failed", abortFailure);
            }
        }
    }

}
