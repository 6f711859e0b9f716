package io.fortress.cli;

import io.fortress.db.api.DaemonThreads;
import com.sun.net.httpserver.HttpServer;
import io.fortress.db.api.Consistency;
import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.Durations;
import io.fortress.db.api.RowMapper;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupManager;
import io.fortress.db.backup.BackupSchedule;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationResult;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fortress serve}: the main job. Uses the database DB_* names, or starts the embedded cluster;
 * migrates credits, shadow and cdefnet under the advisory lock; watches health and lag; takes scheduled
 * backups with retention; deletes expired cdefnet indicators; serves /health/* and /metrics* over HTTP.
 * Shuts down gracefully on SIGTERM or Ctrl-C.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the database layer's main job: migrations, health checks, scheduled backups and the HTTP",
                "endpoints /health/database, /health/live, /health/ready, /metrics and /metrics/database.",
                "Without DB_HOST it runs the embedded cluster (a primary and two streaming replicas) in FORTRESS_DATA_DIR.",
                "Settings: FORTRESS_HTTP_ADDR, FORTRESS_HEALTH_INTERVAL, FORTRESS_HEALTH_TIMEOUT, FORTRESS_BACKUP_INTERVAL,",
                "BACKUP_DIR, RETENTION_DAYS, FORTRESS_IOC_CLEANUP_INTERVAL, FORTRESS_LOG_FORMAT, DB_* (docs/configuration.md)."})
final class ServeCommand extends Subcommand {
    private static final Logger LOG = LoggerFactory.getLogger("fortress.serve");
    /** How long a running backup may go on at shutdown before it is cancelled; the whole stop stays within 15 s. */
    private static final Duration BACKUP_STOP_WAIT = Duration.ofSeconds(5);

    @ParentCommand
    FortressCommand fortress;

    @CommandLine.Option(names = "--ha", description = {"Run on a Patroni-managed cluster started for this process (etcd and three",
            "Patroni members on 127.0.0.1, from Debian's patroni and etcd-server packages; data thrown away at exit)",
            "instead of the embedded cluster; /health/database then shows Patroni's view beside fortress's."})
    boolean ha;

    /** What to close at shutdown, the last started first; guarded by {@code this}. */
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private boolean stopping;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = fortress.environment();
        PrintWriter out = out();
        String address = CliSettings.get(CliSettings.HTTP_ADDR, env);
        byte[] token = CliSettings.httpToken(env);
        CliSettings.checkExposure(address, token, env); // an open non-loopback listener is refused before it listens
        javax.net.ssl.SSLContext tls = HttpTls.serverContext(env);
        CliSettings.checkTokenTransport(address, token, tls != null, env); // nor does a token that would cross the network in clear
        HttpLimits limits = HttpLimits.from(env);
        limits.applyToJdkServer(); // before the server exists: it reads them once
        HttpServer server = bind(address, tls); // first: a busy port fails before anything starts

        CountDownLatch stopped = new CountDownLatch(1);
        Thread shutdown = new Thread(() -> {
            LOG.info("stopping");
            closeAll();
            LOG.info("stopped");
            stopped.countDown();
        }, "fortress-serve-shutdown");
        try {
            Runtime.getRuntime().addShutdownHook(shutdown);
            start(env, server, limits, address, token, out);
        } catch (RuntimeException | IOException e) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdown);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs already and closes what was started
            }
            server.stop(0);
            closeAll();
            throw e;
        }
        stopped.await();
        return 0;
    }

    private void start(Map<String, String> env, HttpServer server, HttpLimits limits, String address, byte[] token, PrintWriter out)
            throws IOException {
        long began = System.nanoTime();
        Target target = Target.resolve(env, ha ? Target.Use.SERVE_HA : Target.Use.SERVE, spec.commandLine().getErr());
        closeLater(target);
        DbConfig config = target.dbConfig();
        BackupConfig backupConfig = target.backupConfig();
        if (config.directAddress(config.primaryAddress()).isEmpty()) {
            throw new IllegalArgumentException("fortress serve migrates and takes scheduled backups, which behind PgBouncer (DB_POOLER="
                    + config.pooler() + ") need sessions of the servers themselves: set DB_DIRECT_HOSTS to the servers' own addresses "
                    + "(those behind DB_HOST's PgBouncers first, then DB_REPLICA_HOSTS')");
        }

        boolean archiveModeRestart = backupConfig.pitr() && setUpArchiving(target, config, backupConfig);

        ServeMetrics metrics = new ServeMetrics();
        closeLater(metrics);
        PrometheusMeterRegistry registry = metrics.registry();
        Database db = Database.open(config, registry);
        closeLater(db);

        Map<Service, MigrationManager> managers = new EnumMap<>(Service.class);
        Map<Service, Long> versions = new EnumMap<>(Service.class);
        Map<Service, Long> newest = new EnumMap<>(Service.class);
        for (Service service : Service.values()) {
            MigrationManager manager = service.manager(db, null, env);
            MigrationResult result = manager.autoMigrate();
            managers.put(service, manager);
            versions.put(service, result.toVersion());
            newest.put(service, manager.status().latestVersion());
            if (!result.noChange()) {
                LOG.info("{}: migrated from version {} to {}", service.id(), result.fromVersion(), result.toVersion());
            }
        }

        BackupManager backups = BackupManager.builder(db, backupConfig).meterRegistry(registry).build();
        String pgDump = backups.checkClientTools(); // missing or too old client tools fail now, not at the first backup
        BackupSchedule schedule = BackupSchedule.of(backups);
        boolean noBackupYet = backups.stats().lastSuccessAt().isEmpty(); // the folder holds no good backup: the first starts now
        schedule.start();
        closeLater(() -> schedule.stop(BACKUP_STOP_WAIT));

        Duration cleanupInterval = CliSettings.get(CliSettings.IOC_CLEANUP_INTERVAL, env);
        if (!cleanupInterval.isZero()) {
            ScheduledExecutorService jobs = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("fortress-ioc-cleanup"));
            jobs.scheduleWithFixedDelay(() -> cleanUpIndicators(db), cleanupInterval.toMillis(), cleanupInterval.toMillis(),
                    TimeUnit.MILLISECONDS);
            closeLater(jobs::shutdownNow);
        }

        Readiness readiness = new Readiness(db, managers, newest);
        readiness.bindTo(registry);
        closeLater(readiness);
        StatusHistory history = new StatusHistory(db, registry, managers);
        closeLater(history);
        HttpApi http = new HttpApi(server, limits, HttpApi.checkedHostNames(address, token != null), db, readiness, registry, backups, token,
                new StatusPage(db, history, readiness, backups, schedule));
        http.start();
        closeLater(http::stop);

        printBanner(out, db, target, versions, address, http.paths(), token != null, server instanceof com.sun.net.httpserver.HttpsServer, backupConfig,
                pgDump, noBackupYet, schedule.nextRun().orElse(null), archiveModeRestart, Duration.ofNanos(System.nanoTime() - began));
    }

    /**
     * Sets up WAL archiving into pgBackRest (BACKUP_PITR) before the pools open, since the embedded cluster's primary
     * restarts when archive_mode was off; a server fortress does not manage must be restarted by its DBA first.
     *
     * @return whether the primary was restarted
     */
    private static boolean setUpArchiving(Target target, DbConfig config, BackupConfig backupConfig) {
        try (Database setup = Database.open(config.toBuilder().maxOpenConns(2).maxIdleConns(0).build())) {
            return BackupManager.create(setup, backupConfig).pointInTime().setUpArchiving(target.primaryRestart().orElse(() -> {
                throw new io.fortress.db.backup.BackupException("BACKUP_PITR=true: archive_mode is now on (ALTER SYSTEM) but takes effect "
                        + "only when PostgreSQL starts: restart the primary, then start fortress serve again");
            }));
        }
    }

    private static HttpServer bind(String address, javax.net.ssl.SSLContext tls) {
        InetSocketAddress socket = new InetSocketAddress(CliSettings.host(address), CliSettings.port(address));
        if (socket.isUnresolved()) {
            throw new IllegalStateException("cannot listen on FORTRESS_HTTP_ADDR=" + address + ": the host "
                    + CliSettings.host(address) + " is unknown; use an address of this machine, e.g. 127.0.0.1:8080");
        }
        try {
            if (tls == null) {
                return HttpServer.create(socket, 64);
            }
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(socket, 64);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            return https;
        } catch (BindException e) {
            throw new IllegalStateException("cannot listen on FORTRESS_HTTP_ADDR=" + address + ": " + e.getMessage()
                    + " (another fortress serve or another program uses it); choose another address with FORTRESS_HTTP_ADDR", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on FORTRESS_HTTP_ADDR=" + address + ": " + e.getMessage(), e);
        }
    }

    /** Deletes expired cdefnet indicators on the primary; a failure is logged and retried next time. */
    private static void cleanUpIndicators(Database db) {
        try {
            long deleted = db.queryOne(Consistency.strong(), "SELECT cdefnet.cleanup_expired_iocs()", RowMapper.firstLong()).orElse(0L);
            if (deleted > 0) {
                LOG.info("deleted {} expired cdefnet indicators", deleted);
            }
        } catch (RuntimeException e) {
            LOG.warn("cleaning up expired cdefnet indicators failed: {}", e.getMessage());
        }
    }

    /** Registers something started, to be closed at shutdown; refuses once shutdown began (it closes what it has). */
    private synchronized void closeLater(AutoCloseable c) {
        if (stopping) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("while stopping: {}", e.toString());
            }
            throw new IllegalStateException("fortress serve is stopping");
        }
        toClose.add(0, c);
    }

    /** Stops in order: HTTP, jobs, backups (a running one may finish), pools, then the embedded cluster. */
    private synchronized void closeAll() {
        stopping = true;
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("while stopping: {}", e.toString());
            }
        }
        toClose.clear();
    }

    private static void printBanner(PrintWriter out, Database db, Target target, Map<Service, Long> versions, String address,
                                    List<String> paths, boolean tokenRequired, boolean tls, BackupConfig backups, String pgDump, boolean noBackupYet,
                                    java.time.Instant nextBackup, boolean archiveModeRestart, Duration took) {
        out.println("fortress serve is up (" + took.toMillis() + " ms) on the " + target.describe()
                + (db.config().behindPooler() ? ", through PgBouncer (DB_POOLER=" + db.config().pooler() + ")" : ""));
        for (NodeHealth n : db.nodes()) {
            out.printf("  %-10s %-22s %-8s %s%n", n.name(), n.address(), n.role().name().toLowerCase(java.util.Locale.ROOT), n.state());
        }
        StringBuilder schemas = new StringBuilder();
        versions.forEach((s, v) -> schemas.append(schemas.isEmpty() ? "" : ", ").append(s.id()).append(" v").append(v));
        out.println("  schemas    " + schemas);
        out.println("  http       " + (tls ? "https://" : "http://") + address + "  (" + String.join(" ", paths) + ")"
                + (tokenRequired ? "; a bearer token (FORTRESS_HTTP_TOKEN_FILE) is required but for "
                        + String.join(" and ", HttpApi.OPEN_PATHS) : ""));
        out.println("  backups    " + backups.backupDir() + " every " + Durations.format(backups.interval()) + ", kept "
                + backups.retentionDays() + " days, with " + pgDump);
        if (nextBackup != null) {
            out.println("             " + (noBackupYet ? "no good backup yet: the first one starts now" : "next at "
                    + nextBackup.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        }
        backups.remote().ifPresent(r -> out.println("  copies     " + r + (backups.encryptionKeyFile().isPresent() ? ", encrypted"
                : ", not encrypted") + ", kept " + backups.remoteRetentionDays() + " days"));
        if (backups.pitr()) {
            out.println("  pitr       WAL archived into pgBackRest at " + backups.pitrRepoPath().orElseThrow()
                    + (archiveModeRestart ? " (the primary was restarted to turn archive_mode on)" : "") + "; base backups with each run, "
                    + "full every " + Durations.format(backups.pitrFullInterval()) + (backups.pitrDrillInterval().isZero() ? ""
                    : ", a restore drill every " + Durations.format(backups.pitrDrillInterval())));
        }
        out.println("  stop with Ctrl-C or SIGTERM");
        out.flush();
    }
}
