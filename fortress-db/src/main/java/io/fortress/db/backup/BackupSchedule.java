package io.fortress.db.backup;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import io.fortress.db.internal.backup.ToolProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a backup every interval ({@code NewBackupSchedule(bm, 24*time.Hour)} in the Go layer fortress replaces), then
 * applies retention. The first run is when a backup is due: at once when the folder holds no good backup (a new
 * deployment is not left without one for a day), else one interval after the newest good one, so that restarts
 * more often than the interval do not postpone backups for ever. Runs happen one at a time on one thread: a run that takes longer than the
 * interval delays the next instead of overlapping it, and a run that finds another backup of the
 * database in progress (a manual one, another process) is skipped. A failed run is logged and
 * counted in the manager's stats; the schedule goes on. With BACKUP_PITR, each run also takes a base backup and,
 * every BACKUP_PITR_DRILL_INTERVAL, runs a restore drill (see {@link PointInTime}).
 *
 * <pre>{@code
 * BackupSchedule schedule = new BackupSchedule(manager, Duration.ofHours(24));
 * schedule.start();   // the first backup when due: now without a good backup, else one interval after the newest
 * ...
 * schedule.stop();    // no new runs; a run in progress finishes
 * }</pre>
 */
public final class BackupSchedule implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackupSchedule.class);
    /**
     * How long a scheduled run's pg_dump is left to {@link #stop(Duration)} once the JVM shuts down, before fortress's
     * shutdown hook ends it: serve stops the schedule with 5 s for the run to finish, then cancels it.
     */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private final BackupManager manager;
    private final Duration interval;
    private final AtomicLong runs = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private ScheduledExecutorService executor;
    private java.util.concurrent.ScheduledFuture<?> task;
    private volatile long lastStart;

    /**
     * A schedule taking a backup every {@code interval}.
     *
     * @throws io.fortress.db.api.DbConfigException when the interval is shorter than FORTRESS_BACKUP_INTERVAL accepts (1m)
     */
    public BackupSchedule(BackupManager manager, Duration interval) {
        this(manager, interval, BackupSettings.INTERVAL::check);
    }

    /**
     * A schedule with any positive interval, also shorter than the setting allows: the tests watch
     * several runs of a schedule every second. Not public: in production that would only load the server.
     */
    static BackupSchedule every(BackupManager manager, Duration interval) {
        return new BackupSchedule(manager, interval, i -> {
            if (i.isZero() || i.isNegative()) {
                throw new IllegalArgumentException("backup interval must be positive, was " + i);
            }
        });
    }

    private BackupSchedule(BackupManager manager, Duration interval, Consumer<Duration> check) {
        check.accept(java.util.Objects.requireNonNull(interval, "interval"));
        this.manager = java.util.Objects.requireNonNull(manager, "manager");
        this.interval = interval;
    }

    /** A schedule with the manager's configured interval (FORTRESS_BACKUP_INTERVAL). */
    public static BackupSchedule of(BackupManager manager) {
        return new BackupSchedule(manager, manager.config().interval());
    }

    /**
     * Starts with the first run when a backup is due: at once when the manager knows no good backup (none in its
     * folder, none taken), else one interval after the last success, at once when that is past.
     */
    public void start() {
        start(firstDelay());
    }

    /** The delay before the first run that {@link #start()} uses. */
    Duration firstDelay() {
        java.util.Optional<java.time.Instant> last = manager.stats().lastSuccessAt();
        if (last.isEmpty()) {
            return Duration.ZERO;
        }
        Duration untilDue = Duration.between(java.time.Instant.now(), last.get().plus(interval));
        return untilDue.isNegative() ? Duration.ZERO : untilDue.compareTo(interval) > 0 ? interval : untilDue;
    }

    /** Starts with the first run after {@code initialDelay}; does nothing when already started. */
    public synchronized void start(Duration initialDelay) {
        if (executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fortress-backup-schedule-" + manager.database());
            t.setDaemon(true);
            return t;
        });
        // Fixed rate on one thread: starts stay on the interval's grid, and a late run delays the next rather than
        // overlapping it; runOnce drops the catch-up runs the executor would start back to back after a long one.
        task = executor.scheduleAtFixedRate(this::runOnce, initialDelay.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("backups of database {} every {}, the first {}", manager.database(), io.fortress.db.api.Durations.format(interval),
                initialDelay.isZero() ? "now (" + manager.stats().lastSuccessAt().map(t -> "the last good one is from " + t + ")")
                        .orElse("no good backup exists yet)") : "in " + io.fortress.db.api.Durations.format(initialDelay.withNanos(0)));
    }

    /** When the next scheduled backup starts; empty when the schedule is not running. */
    public synchronized java.util.Optional<java.time.Instant> nextRun() {
        if (task == null || task.isDone()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(java.time.Instant.now().plusMillis(Math.max(0, task.getDelay(TimeUnit.MILLISECONDS))));
    }

    /** Stops scheduling; waits up to {@code timeout} for a run in progress to finish, then cancels it (its partial files are removed). */
    public void stop(Duration timeout) {
        ScheduledExecutorService e;
        synchronized (this) {
            e = executor;
            executor = null;
            if (e == null) {
                return;
            }
            task.cancel(false);
            e.shutdown();
        }
        try {
            if (!e.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                e.shutdownNow(); // interrupts the run: pg_dump is ended and the partial backup removed
                e.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException ie) {
            e.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops scheduling and waits for a run in progress to finish. */
    public void stop() {
        stop(Duration.ofDays(365));
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isRunning() {
        return executor != null;
    }

    /** Runs started by this schedule (including failed ones). */
    public long runs() {
        return runs.get();
    }

    /** Runs skipped because another backup of the database was in progress. */
    public long skipped() {
        return skipped.get();
    }

    private void runOnce() {
        long now = System.nanoTime();
        if (lastStart != 0 && now - lastStart < interval.toNanos() / 2) {
            return; // a catch-up run right after a run that overran its interval
        }
        lastStart = now;
        runs.incrementAndGet();
        if (dump() && manager.config().pitr()) {
            manager.pointInTime().scheduledRun();
        }
    }

    /** The dump and the retention after it; false when the run was skipped for another backup in progress. */
    private boolean dump() {
        try {
            ToolProcess.withShutdownGrace(SHUTDOWN_GRACE, manager::backup);
        } catch (BackupInProgressException e) {
            skipped.incrementAndGet();
            LOG.warn("scheduled backup of database {} skipped: {}", manager.database(), e.getMessage());
            return false;
        } catch (RuntimeException e) {
            return true; // the manager logged the failure and counted it in its stats
        }
        try {
            manager.cleanupOldBackups();
        } catch (RuntimeException e) {
            LOG.error("cleanup after the scheduled backup of database {} failed: {}", manager.database(), e.getMessage());
        }
        if (manager.hasRemote()) {
            try {
                manager.cleanupRemote(); // the remote copies' own retention (BACKUP_REMOTE_RETENTION_DAYS, BACKUP_REMOTE_MIN_KEEP)
            } catch (RuntimeException e) {
                LOG.warn("remote cleanup after the scheduled backup of database {} failed: {}", manager.database(), e.getMessage());
            }
        }
        return true;
    }
}
