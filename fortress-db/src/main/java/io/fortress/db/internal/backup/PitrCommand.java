package io.fortress.db.internal.backup;

import io.fortress.db.api.Durations;
import io.fortress.db.backup.ArchiveState;
import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BaseBackupInfo;
import io.fortress.db.backup.BaseBackupType;
import io.fortress.db.backup.BaseBackups;
import io.fortress.db.backup.RecoveryTarget;
import io.fortress.db.backup.RestoreDrillReport;
import io.fortress.db.backup.RestoredCluster;
import io.fortress.db.internal.backup.pitr.ArchiveStatus;
import io.fortress.db.internal.backup.pitr.ArchivingSetup;
import io.fortress.db.internal.backup.pitr.BackupInventory;
import io.fortress.db.internal.backup.pitr.BaseBackup;
import io.fortress.db.internal.backup.pitr.Connector;
import io.fortress.db.internal.backup.pitr.PassFile;
import io.fortress.db.internal.backup.pitr.PgBackRest;
import io.fortress.db.internal.backup.pitr.PgBackRestConfigFile;
import io.fortress.db.internal.backup.pitr.PgBackRestSettings;
import io.fortress.db.internal.backup.pitr.PitrEngine;
import io.fortress.db.internal.backup.pitr.RestoreDrill;
import io.fortress.db.internal.backup.pitr.RestoreTarget;
import io.fortress.db.internal.backup.pitr.RestoredServer;
import io.fortress.db.internal.pool.PasswordSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Point-in-time recovery of the manager's cluster with pgBackRest: archiving set up, base backups,
 * the repository's window, the archiver's state and restores into new servers. The engine is made on
 * first use, from the server's own data directory and version, and writes pgbackrest.conf (0600) and
 * the password file pgBackRest logs in with into BACKUP_PITR_WORK_DIR.
 */
public final class PitrCommand {
    private static final Logger LOG = LoggerFactory.getLogger(PitrCommand.class);

    private final BackupContext ctx;
    private final Supplier<Path> pgbackrestProgram;
    private PitrEngine engine; // guarded by this
    private Connector connector; // guarded by this
    private volatile Optional<BaseBackupInfo> newestKnown = Optional.empty();
    private volatile Optional<RestoreDrillReport> lastDrill = Optional.empty();
    private final RecentArchiveState recentArchive;

    public PitrCommand(BackupContext ctx) {
        this(ctx, PgBackRest::locate);
    }

    PitrCommand(BackupContext ctx, Supplier<Path> pgbackrestProgram) {
        this.ctx = ctx;
        this.pgbackrestProgram = pgbackrestProgram;
        this.recentArchive = new RecentArchiveState(this::archiveState, ctx.clock());
    }

    /** The engine, made on first use; pgbackrest.conf and the password file are written before it is kept. */
    private synchronized PitrEngine engine() {
        if (engine == null) {
            PitrSetup.Server server = PitrSetup.describe(ctx);
            PgBackRestSettings settings = PitrSetup.settings(ctx, server);
            Connector opened = PitrSetup.connector(ctx.db(), server.address().host());
            PitrEngine made = new PitrEngine(new PgBackRest(settings, pgbackrestProgram.get()), opened,
                    PitrSetup.serverBinaries(ctx.config(), server.major()), timeout());
            PgBackRestConfigFile.write(settings);
            settings.passFile().ifPresent(file -> PassFile.write(file, ctx.db().user(),
                    PasswordSource.primary(ctx.db()).current().orElseThrow(), settings));
            if (server.live()) {
                PitrSetup.remember(ctx.config().pitrWorkDir(), server);
            } else {
                LOG.warn("the primary {} cannot be reached: pgBackRest works from what setup remembered of it ({})", server.address(),
                        server.dataDirectory());
            }
            connector = opened;
            engine = made;
        }
        return engine;
    }

    private Duration timeout() {
        Duration t = ctx.config().timeout();
        return t.isZero() ? Duration.ofDays(7) : t;
    }

    /**
     * Sets up the stanza, archive_mode and archive_command, and checks a segment reaches the archive.
     *
     * @return whether the primary was restarted
     */
    public boolean setUpArchiving(Runnable restartPrimary) {
        return engine().archiving().enable(restartPrimary);
    }

    /** What a DBA puts in postgresql.conf and pgbackrest.conf for this cluster, keys left out (pgBackRest reads them from PGBACKREST_* variables). */
    public String setupInstructions() {
        PgBackRest pgbackrest = engine().pgbackrest();
        return "# postgresql.conf (archive_mode needs a restart; wal_level must be replica or logical)\n"
                + "archive_mode = on\n"
                + "archive_command = '" + pgbackrest.archiveCommand().replace("'", "''") + "'\n"
                + "archive_timeout = " + ArchivingSetup.ARCHIVE_TIMEOUT + "   # unless set: WAL waits at most this long for the archive\n\n"
                + "# " + pgbackrest.settings().configFile() + " (mode 0600, owned by the database's OS user), then run:\n"
                + "#   pgbackrest --config=" + pgbackrest.settings().configFile() + " --stanza=" + pgbackrest.settings().stanza()
                + " stanza-create\n"
                + PgBackRestConfigFile.render(pgbackrest.settings(), false);
    }

    /**
     * Takes a base backup into the local repository, and into the bucket's when BACKUP_REMOTE is set; from the configured
     * standby when it is streaming, else from the primary. Returns the local one.
     */
    public BaseBackupInfo backup(BaseBackupType type) {
        PitrEngine e = engine();
        boolean fromStandby = e.pgbackrest().settings().standby().filter(s -> streaming(s.port())).isPresent();
        if (e.pgbackrest().settings().backupStandby() && !fromStandby) {
            LOG.warn("the standby named by BACKUP_PITR_STANDBY_PORT is not streaming: the base backup is taken from the primary");
        }
        io.fortress.db.internal.backup.pitr.BaseBackupType kind = io.fortress.db.internal.backup.pitr.BaseBackupType.valueOf(type.name());
        BaseBackupInfo taken = info(e.backup(kind, OptionalInt.empty(), fromStandby));
        if (e.pgbackrest().settings().s3Repository().isPresent()) {
            e.backup(kind, OptionalInt.of(2), fromStandby); // the bucket of BACKUP_REMOTE gets its own
        }
        newestKnown = Optional.of(taken);
        return taken;
    }

    /** The newest base backup the last listing or backup saw, without asking the repository. */
    public Optional<BaseBackupInfo> newestKnown() {
        return newestKnown;
    }

    private boolean streaming(int port) {
        try (Connection c = connector.open(port); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            LOG.warn("cannot reach the standby on port {}: {}", port, e.getMessage());
            return false;
        }
    }

    /** The base backups and the restorable window. */
    public BaseBackups list() {
        PitrEngine e = engine();
        BackupInventory inventory = e.info();
        Optional<java.time.Instant> lastArchived;
        try {
            lastArchived = e.archiveMonitor().status().lastArchivedTime();
        } catch (BackupException unreachable) {
            lastArchived = Optional.empty();
        }
        BaseBackups listed = new BaseBackups(inventory.stanza(), inventory.backups().stream().map(PitrCommand::info).toList(),
                inventory.restorableFrom(), inventory.restorableUpToLsn(), lastArchived);
        newestKnown = listed.newest();
        return listed;
    }

    /** The primary's archiver now. */
    public ArchiveState archiveState() {
        ArchiveStatus s = engine().archiveMonitor().status();
        return new ArchiveState(s.archivedCount(), s.lastArchivedWal(), s.lastArchivedTime(), s.lastArchivedAge(), s.failedCount(),
                s.lastFailedWal(), s.failing(), s.unarchivedBytes());
    }

    /** The archiver as read at most {@link RecentArchiveState#EVERY} ago, for views polled often (meters, the status page). */
    public ArchiveState recentArchiveState() {
        return recentArchive.get();
    }

    /** Runs a restore drill into a new folder of BACKUP_PITR_WORK_DIR (see {@link RestoreDrill}). */
    public RestoreDrillReport drill() {
        PitrEngine e = engine();
        RestoreDrill.Outcome o = RestoreDrill.run(e, connector, e.pgbackrest().settings().primary().port(),
                ctx.config().pitrWorkDir());
        RestoreDrillReport report = new RestoreDrillReport(o.passed(), o.started(), o.restoreTime(), o.restoredUpTo(), o.bytesBehind(),
                o.compared(), o.written(), o.problems());
        lastDrill = Optional.of(report);
        if (report.passed()) {
            LOG.info("restore drill passed: restored in {}, {} tables compared, {} bytes behind", Durations.format(report.restoreTime()),
                    report.compared(), report.bytesBehind());
        } else {
            LOG.warn("restore drill failed: {}", String.join("; ", report.problems()));
        }
        return report;
    }

    /**
     * What a scheduled backup run does for point-in-time recovery: a base backup (full when the newest full one is
     * older than BACKUP_PITR_FULL_INTERVAL or there is none, else differential), expiry, and a restore drill when
     * this process ran none for BACKUP_PITR_DRILL_INTERVAL. Each step's failure is logged and the next still runs.
     */
    public void scheduledRun() {
        java.time.Instant now = java.time.Instant.now();
        try {
            boolean fullDue = list().backups().stream().filter(b -> b.type() == BaseBackupType.FULL).map(BaseBackupInfo::stopped)
                    .max(java.util.Comparator.naturalOrder()).map(t -> t.plus(ctx.config().pitrFullInterval()).isBefore(now)).orElse(true);
            BaseBackupInfo taken = backup(fullDue ? BaseBackupType.FULL : BaseBackupType.DIFF);
            LOG.info("scheduled {} base backup {} taken ({} bytes)", taken.type().spelling(), taken.label(), taken.size());
            expire();
        } catch (RuntimeException e) {
            LOG.error("scheduled base backup failed: {}", e.getMessage());
        }
        Duration drillInterval = ctx.config().pitrDrillInterval();
        if (!drillInterval.isZero() && lastDrill.map(d -> d.started().plus(drillInterval).isBefore(now)).orElse(true)) {
            try {
                drill(); // logs its outcome
            } catch (RuntimeException e) {
                LOG.error("scheduled restore drill could not run: {}", e.getMessage());
            }
        }
    }

    /** The report of the last drill run here. */
    public Optional<RestoreDrillReport> lastDrill() {
        return lastDrill;
    }

    /** Removes base backups and WAL beyond BACKUP_PITR_RETENTION_FULL. */
    public void expire() {
        engine().expire();
    }

    /**
     * Restores into {@code targetDirectory} and starts it on a free port; the live primary's WAL is pushed into the archive first.
     *
     * @param keepRunning true to leave the server running after this JVM ends (a restore the operator uses); false stops it then
     */
    public RestoredCluster restore(RecoveryTarget target, Path targetDirectory, boolean keepRunning) {
        RestoreTarget t = target.time().map(RestoreTarget::time).or(() -> target.lsn().map(RestoreTarget::lsn))
                .orElseGet(RestoreTarget::latest);
        PitrEngine e = engine();
        boolean primaryIsLive = primaryAnswers(e);
        RestoredServer server = e.restore(t, targetDirectory.toAbsolutePath().normalize(), OptionalInt.empty(), primaryIsLive,
                !keepRunning);
        return new RestoredCluster() {
            @Override
            public Path dataDirectory() {
                return server.dataDirectory();
            }

            @Override
            public int port() {
                return server.port();
            }

            @Override
            public Path logFile() {
                return server.logFile();
            }

            @Override
            public void close() {
                server.close();
            }

            @Override
            public String toString() {
                return "RestoredCluster[" + server.dataDirectory() + ", port " + server.port() + "]";
            }
        };
    }

    /** Whether the primary answers; when it does not (it was lost), a restore replays what the archive holds, without first flushing its WAL. */
    private static boolean primaryAnswers(PitrEngine e) {
        try {
            e.archiveMonitor().status();
            return true;
        } catch (BackupException down) {
            LOG.warn("the primary cannot be reached ({}): restoring from what the archive holds; commits not yet archived are not in it",
                    down.getMessage());
            return false;
        }
    }

    private static BaseBackupInfo info(BaseBackup b) {
        return new BaseBackupInfo(b.label(), BaseBackupType.parse(b.type()), b.repository(), b.started(), b.stopped(), b.lsnStart(),
                b.lsnStop(), b.size(), b.repositorySize(), b.prior(), b.pageErrors());
    }
}
