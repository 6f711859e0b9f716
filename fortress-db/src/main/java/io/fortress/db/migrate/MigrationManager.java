package io.fortress.db.migrate;

import io.fortress.db.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema migrations in golang-migrate's format and tables, run more safely than
 * golang-migrate or Flyway do.
 *
 * <pre>{@code
 * MigrationManager credits = MigrationManager.create(db, MigrationSource.classpath("migrations/credits"),
 *         MigrationConfig.forSchema("credits"));
 * credits.up();                                  // every pending migration
 * credits.down();                                // roll back exactly one
 * credits.migrate(5);                            // up or down to version 5
 * MigrationVersion v = credits.version();        // version and dirty flag, read-only
 * MigrationManager.autoMigrate(db, source, config);   // at application start, from many instances at once
 * }</pre>
 *
 * <p>Compatible with golang-migrate: the same {@code schema_migrations} table (one row, {@code version}
 * and {@code dirty}), the same advisory-lock keys, the same file names and version walk, the same
 * dirty marking for files that run outside a transaction. A database migrated by golang-migrate is
 * adopted without running anything; golang-migrate can continue a database migrated here.
 *
 * <p>Safer: each file runs in one transaction with its version update and history row, so a failure
 * leaves the previous version, clean; files that PostgreSQL cannot run in a transaction (CREATE INDEX
 * CONCURRENTLY, ...) are detected and run alone. The lock is polled, never waited on in
 * {@code pg_advisory_lock}, and is checked after each file. An append-only history records every
 * run with its SHA-256, who, when and how long; files changed after they were applied, or added
 * below the current version, stop migrating until repaired. Sessions are reset between files.
 *
 * <p>Every operation that changes something takes the lock on its own connection and releases it
 * before returning. Thread-safe; operations of one manager may run concurrently (they serialise on
 * the lock).
 *
 * <p>With a {@link Database}, those operations open a connection of their own to the current primary,
 * outside the application's pools (named {@code <applicationName> migrate} in pg_stat_activity), and
 * close it when done: a migration never takes a pool slot and never hands back a changed session.
 * The read-only reports ({@link #version()}, {@link #status()}, {@link #plan()}, ...) borrow a pooled
 * primary connection for their one snapshot and leave its session as they found it.
 */
public final class MigrationManager {
    private static final Logger log = LoggerFactory.getLogger(MigrationManager.class);

    /** Connections for read-only snapshots: brief, and they leave the session as they found it. */
    private final Connections reads;
    /** Connections for operations under the lock: held for the whole operation, their session changed meanwhile. */
    private final Connections runs;
    private final MigrationSource source;
    private final MigrationConfig config;
    /** One flag per operation in progress, which {@link #stop()} sets. */
    private final Set<AtomicBoolean> stopFlags = ConcurrentHashMap.newKeySet();

    private MigrationManager(Connections reads, Connections runs, MigrationSource source, MigrationConfig config) {
        this.reads = reads;
        this.runs = runs;
        this.source = Objects.requireNonNull(source, "source");
        this.config = Objects.requireNonNull(config, "config");
        MigrationCatalog.load(source);
    }

    /**
     * A manager migrating the database's current primary: each operation that takes the lock opens a
     * connection of its own outside the pools ({@link Database#connectTo}); the read-only reports
     * borrow a pooled primary connection.
     *
     * @throws MigrationSourceException when the source's files cannot be used
     */
    public static MigrationManager create(Database database, MigrationSource source, MigrationConfig config) {
        Objects.requireNonNull(database, "database");
        DataSource pooled = database.primaryDataSource();
        String name = database.config().database();
        return new MigrationManager(pooled::getConnection, () -> database.connectTo(name, "migrate"), source, config);
    }

    /**
     * A manager migrating through connections of the given DataSource (one at a time, held for the
     * whole operation: a direct or session-pooled connection, since the lock lives in the session).
     *
     * @throws MigrationSourceException when the source's files cannot be used
     */
    public static MigrationManager create(DataSource dataSource, MigrationSource source, MigrationConfig config) {
        Objects.requireNonNull(dataSource, "dataSource");
        return new MigrationManager(dataSource::getConnection, dataSource::getConnection, source, config);
    }

    /** {@link #autoMigrate()} for the database's primary. */
    public static MigrationResult autoMigrate(Database database, MigrationSource source, MigrationConfig config) {
        return create(database, source, config).autoMigrate();
    }

    /** {@link #autoMigrate()} through the given DataSource. */
    public static MigrationResult autoMigrate(DataSource dataSource, MigrationSource source, MigrationConfig config) {
        return create(dataSource, source, config).autoMigrate();
    }

    /**
     * For application start: {@link #up()}, made cheap when there is nothing to do. When the database
     * is at the latest version, clean, adopted and its files unchanged, it returns without taking the
     * lock; otherwise it takes the lock (waiting while another instance migrates), reads again and
     * applies what is still pending. Many instances may call it at once: each migration runs once.
     */
    public MigrationResult autoMigrate() {
        MigrationCatalog catalog = MigrationCatalog.load(source);
        DatabaseState state = read();
        if (isCurrent(catalog, state)) {
            log.debug("{}: at the latest version {}; nothing to migrate", state.names().display(), state.version());
            return MigrationResult.noChange(state.version().version());
        }
        return up();
    }

    private static boolean isCurrent(MigrationCatalog catalog, DatabaseState state) {
        return state.versionTableExists() && state.history().exists() && !state.version().dirty()
                && state.version().version() == catalog.latest()
                && new Validator(catalog, state).findings().stream()
                .noneMatch(f -> f.isError() || f.kind() == Finding.Kind.EXTERNAL_CHANGE);
    }

    /**
     * Applies every pending migration (golang-migrate {@code Up}); {@link MigrationResult#noChange()}
     * when there is none.
     *
     * @throws DirtyDatabaseException        when the version is dirty
     * @throws MigrationValidationException  when an applied file changed, a file sits below the current version, or a file to run breaks a rule
     * @throws MigrationNotFoundException    when the database is at a version the source does not have
     * @throws MigrationFailedException      when a migration fails (the earlier ones of this call stay applied)
     * @throws MigrationLockException        when another migrator holds the lock past lockTimeout
     */
    public MigrationResult up() {
        return move((planner, from) -> planner.up(from));
    }

    /**
     * Rolls back exactly one migration, {@code Down()} of the Go layer fortress replaces (golang-migrate {@code Steps(-1)};
     * golang-migrate's own {@code Down()} is {@link #downAll()}).
     *
     * @throws MigrationNotFoundException     at the nil version
     * @throws IrreversibleMigrationException when the version has no down file and allowMissingDown is off
     */
    public MigrationResult down() {
        return steps(-1);
    }

    /** Rolls back every migration, to the nil version (golang-migrate {@code Down}). */
    public MigrationResult downAll() {
        return move((planner, from) -> planner.downAll(from));
    }

    /**
     * Applies n migrations (n &gt; 0) or rolls back -n (n &lt; 0), as golang-migrate {@code Steps}; when
     * fewer exist it does what it can and reports the rest in {@link MigrationResult#shortBy()}.
     *
     * @throws MigrationNotFoundException when not one step exists in that direction
     */
    public MigrationResult steps(int n) {
        return move((planner, from) -> planner.steps(from, n));
    }

    /**
     * Migrates up or down to the given version, which must exist in the source (golang-migrate
     * {@code Migrate}); -1 rolls everything back.
     *
     * @throws MigrationNotFoundException when the source has no file for the version
     */
    public MigrationResult migrate(long version) {
        requireVersion(version, "migrate");
        return move((planner, from) -> planner.migrate(from, version));
    }

    /** The version and dirty flag; creates nothing and takes no lock. {@code (-1, false)} when nothing is recorded. */
    public MigrationVersion version() {
        return read().version();
    }

    /**
     * Sets the version, clean, without running anything (golang-migrate {@code Force}); -1 empties
     * the version table. The repair after a dirty failure, once the schema was fixed by hand. Refuses
     * a version the source does not have; see {@link #force(long, boolean)}.
     */
    public void force(long version) {
        force(version, false);
    }

    /**
     * Sets the version like {@link #force(long)}; with {@code allowUnknownVersion} also to a version
     * the source has no file for (the database then cannot move until such files exist).
     */
    public void force(long version, boolean allowUnknownVersion) {
        requireVersion(version, "force");
        MigrationCatalog catalog = MigrationCatalog.load(source);
        if (version >= 0 && !catalog.contains(version) && !allowUnknownVersion) {
            throw new MigrationNotFoundException("force(" + version + "): " + catalog.source() + " has no migration " + version
                    + ", so the database could not move from there; force a version that exists, or call force(" + version
                    + ", true) (fortress migrate force " + version + " --allow-unknown-version) to set it anyway");
        }
        locked(catalog, run -> {
            run.force(version);
            return null;
        });
    }

    /**
     * Accepts the current files of an applied version as the applied ones (after an intended edit
     * that the database already matches), recorded in the history as {@code repair_checksum}. A
     * version the history does not record as applied is refused: {@link #adopt(long)} records one.
     */
    public void repairChecksum(long version) {
        record("repairChecksum", version, HistoryEntry.Kind.REPAIR_CHECKSUM, state -> {
            if (state.history().lastApplied(version).isEmpty()) {
                throw new MigrationException("repairChecksum(" + version + "): the history does not record version " + version
                        + " as applied, so it has no checksum to repair; if its changes are in the database, record it with adopt("
                        + version + ") (fortress migrate adopt " + version + ")");
            }
        });
    }

    /**
     * Records a version at or below the current one as applied, running nothing, with its current
     * files' checksums: for a version whose changes are already in the database, applied by another
     * tool or by hand (an {@code OUT_OF_ORDER} file, or a version fortress never saw applied). Recorded
     * in the history as {@code adopt}. A version already recorded as applied is refused.
     */
    public void adopt(long version) {
        record("adopt", version, HistoryEntry.Kind.ADOPT, state -> {
            Optional<HistoryEntry> applied = state.history().lastRun(version);
            if (applied.isPresent()) {
                throw new MigrationException("adopt(" + version + "): version " + version + " is already recorded as applied ("
                        + applied.get().kind().label() + " at " + applied.get().startedAt() + "); if its file changed since, "
                        + "repairChecksum(" + version + ") (fortress migrate repair-checksum " + version + ") accepts the change");
            }
        });
    }

    /**
     * Records the version's current files as {@code kind}, running nothing, under the lock: after the checks every such
     * record takes ({@link #requireRecordable}) and the operation's own ({@code refuse} throws to refuse).
     */
    private void record(String operation, long version, HistoryEntry.Kind kind, java.util.function.Consumer<DatabaseState> refuse) {
        MigrationCatalog catalog = MigrationCatalog.load(source);
        locked(catalog, run -> {
            DatabaseState state = run.state();
            requireRecordable(operation, catalog, state, version);
            refuse.accept(state);
            run.record(version, kind);
            return null;
        });
    }

    /** A version whose files can be recorded as applied: clean database, version in the source, at or below the current one. */
    private static void requireRecordable(String operation, MigrationCatalog catalog, DatabaseState state, long version) {
        MigrationVersion current = state.version();
        if (current.dirty()) {
            throw new DirtyDatabaseException(current.version(), "Repair the dirty version first (force), then " + operation + ".");
        }
        if (!catalog.contains(version)) {
            throw new MigrationNotFoundException(operation + "(" + version + "): " + catalog.source() + " has no migration " + version);
        }
        if (version > current.version()) {
            throw new MigrationException(operation + "(" + version + "): version " + version + " is above the database's version "
                    + Planner.display(current.version()) + ", so it is not applied; up() applies it");
        }
    }

    /** Every version with its state, checksum check, when, by whom and how long; writes nothing, takes no lock. */
    public MigrationStatus status() {
        MigrationCatalog catalog = MigrationCatalog.load(source);
        return Reports.status(catalog, readWithSchema());
    }

    /** What {@link #up()} would do; writes nothing (not even the tables), takes no lock. */
    public MigrationPlan plan() {
        MigrationCatalog catalog = MigrationCatalog.load(source);
        DatabaseState state = read();
        return Reports.plan(catalog, state, new Planner(catalog, config.allowMissingDown()).up(state.version().version()));
    }

    /**
     * What {@link #migrate(long)} would do; writes nothing, takes no lock.
     *
     * @throws MigrationNotFoundException     when the source has no file for the version, or it would roll back from a
     *                                        version the source lacks (as {@link #migrate(long)} refuses)
     * @throws IrreversibleMigrationException when it would roll back over a version without a down file
     */
    public MigrationPlan plan(long target) {
        requireVersion(target, "plan");
        MigrationCatalog catalog = MigrationCatalog.load(source);
        DatabaseState state = read();
        return Reports.plan(catalog, state, new Planner(catalog, config.allowMissingDown()).migrate(state.version().version(), target));
    }

    /** Checks the files and compares them with what the database records; writes nothing, takes no lock. */
    public ValidationReport validate() {
        MigrationCatalog catalog = MigrationCatalog.load(source);
        return new ValidationReport(Reports.findings(catalog, readWithSchema()));
    }

    /** Every history row, oldest first; empty before the first run. Writes nothing, takes no lock. */
    public List<HistoryEntry> history() {
        return read().history().rows();
    }

    /**
     * Asks every operation of this manager in progress to stop after its current migration
     * (golang-migrate's GracefulStop); each then returns with {@link MigrationResult#stopped()}.
     * Operations started afterwards are not affected. An interrupt of the migrating thread stops
     * that thread's operation the same way.
     */
    public void stop() {
        stopFlags.forEach(flag -> flag.set(true));
    }

    /** The source migrated. */
    public MigrationSource source() {
        return source;
    }

    public MigrationConfig config() {
        return config;
    }

    @FunctionalInterface
    private interface Operation {
        Planner.Plan plan(Planner planner, long from);
    }

    @FunctionalInterface
    private interface LockedWork<T> {
        T run(LockedRun run) throws SQLException;
    }

    @FunctionalInterface
    private interface Connections {
        Connection open() throws SQLException;
    }

    @FunctionalInterface
    private interface ConnectionWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Plans and runs an operation under the lock; {@link #stop()} reaches it through a flag of its own. */
    private MigrationResult move(Operation operation) {
        AtomicBoolean stopRequested = new AtomicBoolean();
        stopFlags.add(stopRequested);
        try {
            MigrationCatalog catalog = MigrationCatalog.load(source);
            return locked(catalog, run -> {
                DatabaseState state = run.state();
                refuseUnlessMovable(catalog, state);
                long from = state.version().version();
                Planner.Plan plan = operation.plan(new Planner(catalog, config.allowMissingDown()), from);
                List<Finding> errors = Reports.findings(catalog, state, plan).stream().filter(Finding::isError).toList();
                if (!errors.isEmpty()) {
                    throw new MigrationValidationException(errors);
                }
                if (plan.steps().isEmpty()) {
                    log.info("{}: no change; at version {}", run.names().display(), state.version());
                    return MigrationResult.noChange(from);
                }
                return run.apply(plan, from, stopRequested::get);
            });
        } finally {
            stopFlags.remove(stopRequested);
        }
    }

    private static void refuseUnlessMovable(MigrationCatalog catalog, DatabaseState state) {
        List<Finding> errors = new Validator(catalog, state).findings().stream().filter(Finding::isError).toList();
        for (Finding f : errors) {
            if (f.kind() == Finding.Kind.DIRTY) {
                throw new DirtyDatabaseException(state.version().version(), f.message());
            }
        }
        for (Finding f : errors) {
            if (f.kind() == Finding.Kind.UNKNOWN_DB_VERSION) {
                throw new MigrationNotFoundException(f.message());
            }
        }
        if (!errors.isEmpty()) {
            throw new MigrationValidationException(errors);
        }
    }

    private <T> T locked(MigrationCatalog catalog, LockedWork<T> work) {
        return withConnection(runs, c -> {
            try (LockedRun run = LockedRun.open(c, config, catalog)) {
                return work.run(run);
            }
        });
    }

    private DatabaseState read() {
        return withConnection(reads, c -> StateReader.read(c, config, false));
    }

    /** The state with the schema's recorded and current fingerprint, for the reports that look for drift. */
    private DatabaseState readWithSchema() {
        return withConnection(reads, c -> StateReader.read(c, config, true));
    }

    private <T> T withConnection(Connections connections, ConnectionWork<T> work) {
        Connection c;
        try {
            c = connections.open();
        } catch (SQLException e) {
            throw new MigrationException("cannot get a connection to migrate " + source.describe() + ": " + e.getMessage(), e);
        }
        try (c) {
            return work.run(c);
        } catch (SQLException e) {
            throw new MigrationException("migrating " + source.describe() + " failed: " + e.getMessage(), e);
        }
    }

    private static void requireVersion(long version, String operation) {
        if (version < -1) {
            throw new IllegalArgumentException(operation + "(" + version + "): a version is -1 (nil) or higher");
        }
    }

    @Override
    public String toString() {
        return "MigrationManager{" + source.describe() + ", " + config + "}";
    }
}
