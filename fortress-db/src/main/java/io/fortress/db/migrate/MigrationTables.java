package io.fortress.db.migrate;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a migration run keeps in the database, bound to one connection and one pair of table names, as
 * golang-migrate's database driver is: the lock, the version table (golang-migrate's
 * {@code schema_migrations}) and the history. {@link LockedRun} walks versions through it.
 */
final class MigrationTables implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LockedRun.class);

    private final Session session;
    private final MigrationLock lock;
    /** Whether the history table has the schema_fingerprint column (one from before fingerprints may not). */
    private boolean fingerprints = true;

    private MigrationTables(Session session, MigrationLock lock) {
        this.session = session;
        this.lock = lock;
    }

    /**
     * Takes the lock on {@code c}, then sets the session's baseline, creates missing tables and records
     * what golang-migrate did since the last run, in one transaction. The session is changed only once
     * the lock is held, so a lock that cannot be taken leaves the connection as it was; from then on
     * {@link #close()} resets it.
     */
    static MigrationTables lock(Connection c, MigrationConfig config, MigrationCatalog catalog) throws SQLException {
        c.setAutoCommit(true);
        Session session = Session.open(c, config);
        MigrationLock lock = MigrationLock.acquire(session, MigrationLock.keys(config.lockKeys(), session.database(), session.names()),
                config.lockTimeout());
        MigrationTables tables = new MigrationTables(session, lock);
        try {
            session.applyBaseline();
            tables.prepare(catalog);
        } catch (SQLException | RuntimeException e) {
            tables.closeAfter(e);
            throw e;
        }
        return tables;
    }

    Session session() {
        return session;
    }

    TableNames names() {
        return session.names();
    }

    /** Whether history rows can carry the schema's fingerprint. */
    boolean recordsFingerprints() {
        return fingerprints;
    }

    private void prepare(MigrationCatalog catalog) throws SQLException {
        Connection c = session.connection();
        TableNames names = names();
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
                reconcile(catalog, v.version(), hadHistory);
            } else if (rows.size() == 1) {
                reconcileDirty(catalog, v.version(), hadHistory);
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
    private void reconcile(MigrationCatalog catalog, long current, boolean hadHistory) throws SQLException {
        HistoryLog history = new HistoryLog(true, HistoryTable.read(session.connection(), names()));
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
                record(HistoryTable.Event.of(catalog.get(v), v, kind, HistoryEntry.Status.SUCCESS, last, current));
            }
            log.info("{}: recorded versions {} as {} (applied by golang-migrate; nothing was run)", names().display(), versions, kind.label());
        } else {
            TreeSet<Long> versions = new TreeSet<>(history.appliedVersions().stream().filter(v -> v > current && v <= last).toList());
            catalog.all().stream().map(Migration::version).filter(v -> v > current && v <= last).forEach(versions::add);
            for (long v : versions.descendingSet()) {
                record(HistoryTable.Event.of(catalog.get(v), v, HistoryEntry.Kind.EXTERNAL_DOWN, HistoryEntry.Status.SUCCESS, last, current));
            }
            log.info("{}: recorded versions {} as rolled back by golang-migrate (external_down)", names().display(), versions.descendingSet());
        }
    }

    /**
     * Records what another tool did before it left the version dirty at {@code dirty}, unless the history
     * already explains it (fortress's own unfinished migration, or an earlier run recorded it). Only the
     * endpoints are known: fortress last left the version at L. Versions between L and the dirty one were
     * completed by the other tool (applied going up, rolled back going down); the dirty one's file failed
     * part-way, so it is recorded as that tool's failure and stays as it was until a force says which
     * version the schema matches.
     */
    private void reconcileDirty(MigrationCatalog catalog, long dirty, boolean hadHistory) throws SQLException {
        HistoryLog history = new HistoryLog(true, HistoryTable.read(session.connection(), names()));
        if (history.dirtyCause(dirty).isPresent()) {
            return;
        }
        long last = history.lastRecordedVersion().orElse(-1L);
        boolean goingDown = dirty == -1 || dirty < last;
        if (!goingDown) {
            // golang-migrate's up of `dirty` failed: it applied every version between last and it first
            HistoryEntry.Kind kind = hadHistory ? HistoryEntry.Kind.EXTERNAL_UP : HistoryEntry.Kind.ADOPT;
            List<Long> completed = catalog.all().stream().map(Migration::version).filter(v -> v > last && v < dirty).toList();
            long reached = completed.isEmpty() ? last : completed.get(completed.size() - 1);
            for (long v : completed) {
                record(HistoryTable.Event.of(catalog.get(v), v, kind, HistoryEntry.Status.SUCCESS, last, reached));
            }
            record(HistoryTable.Event.of(catalog.get(dirty), dirty, HistoryEntry.Kind.EXTERNAL_UP, HistoryEntry.Status.FAILED, reached, dirty));
            log.warn("{}: version {} is dirty, left by another tool (golang-migrate?) after fortress last recorded version {}; recorded "
                    + "{} as {} and the failure of {} as external_up failed", names().display(), dirty, Planner.display(last), completed,
                    kind.label(), dirty);
        } else {
            // a rollback to `dirty` failed: the down file of the version above it ran part-way, those above it were rolled back
            long failed = catalog.next(dirty) != null ? catalog.next(dirty) : dirty;
            TreeSet<Long> reverted = new TreeSet<>(history.appliedVersions().stream().filter(v -> v > failed && v <= last).toList());
            catalog.all().stream().map(Migration::version).filter(v -> v > failed && v <= last).forEach(reverted::add);
            for (long v : reverted.descendingSet()) {
                record(HistoryTable.Event.of(catalog.get(v), v, HistoryEntry.Kind.EXTERNAL_DOWN, HistoryEntry.Status.SUCCESS, last, failed));
            }
            record(HistoryTable.Event.of(catalog.get(failed), failed, HistoryEntry.Kind.EXTERNAL_DOWN, HistoryEntry.Status.FAILED,
                    failed, dirty));
            log.warn("{}: version {} is dirty, left by another tool (golang-migrate?) rolling back from version {}; recorded {} as "
                    + "external_down and the failed rollback of {} as external_down failed", names().display(), Planner.display(dirty),
                    Planner.display(last), reverted.descendingSet(), failed);
        }
    }

    /** Everything the tables say, in one snapshot. */
    DatabaseState state() throws SQLException {
        return StateReader.readIn(session.connection(), names());
    }

    /** The version now (NIL when none is recorded). */
    MigrationVersion version() throws SQLException {
        List<MigrationVersion> rows = VersionTable.rows(session.connection(), names());
        return rows.isEmpty() ? MigrationVersion.NIL : rows.get(0);
    }

    /** Work on the tables that commits together. */
    interface TableWork {
        void run() throws SQLException;
    }

    /** Runs {@code work} in a transaction of its own: committed when it returns, rolled back when it throws. */
    void inTransaction(TableWork work) throws SQLException {
        Connection c = session.connection();
        c.setAutoCommit(false);
        try {
            work.run();
            c.commit();
        } catch (SQLException | RuntimeException e) {
            session.rollbackQuietly();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Sets the version, in the caller's transaction. */
    void setVersion(long version, boolean dirty) throws SQLException {
        VersionTable.write(session.connection(), names(), version, dirty);
    }

    /** Adds a history row, in the caller's transaction. */
    void record(HistoryTable.Event event) throws SQLException {
        HistoryTable.insert(session.connection(), names(), event, session.clientInfo());
    }

    /** Adds a history row carrying the schema's fingerprint as it is now (when the history can hold one). */
    void recordWithFingerprint(HistoryTable.Event event) throws SQLException {
        record(fingerprints ? event.fingerprinted(SchemaFingerprint.recordable(session.connection(), names())) : event);
    }

    /** Objects of the schema changed since the fingerprint recorded with version {@code from}; empty when none was recorded. */
    List<String> schemaChangesSince(long from) throws SQLException {
        return StateReader.compare(session.connection(), names(), from).map(DatabaseState.SchemaComparison::changes).orElse(List.of());
    }

    /** Fails when the lock was lost (the session ended, or someone unlocked it) after {@code after}. */
    void verifyLockHeld(String after) throws SQLException {
        lock.verifyHeld(after);
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
