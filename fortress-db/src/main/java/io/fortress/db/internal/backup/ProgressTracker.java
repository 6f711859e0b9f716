package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupPhase;
import io.fortress.db.backup.BackupProgress;
import io.fortress.db.backup.ProgressListener;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Follows one run: its phase, the tables pg_dump/pg_restore report in their verbose output, and the
 * bytes of the growing output, polled twice a second. Tells the caller's listener and the
 * manager's stats of every change.
 */
public final class ProgressTracker implements AutoCloseable {
    // With -j, worker lines can interleave mid-line, so the pattern is searched, not anchored.
    private static final Pattern DUMPING = Pattern.compile("dumping contents of table \"([^\"]*)\"");
    private static final Pattern RESTORING = Pattern.compile("processing data for table \"([^\"]*)\"");

    private final ProgressListener listener;
    private final Consumer<BackupProgress> sink;
    private BackupPhase phase = BackupPhase.PREPARING;
    private long bytes;
    private int tablesDone;
    private int tablesTotal;
    private String item = "";
    private ScheduledExecutorService poller;

    public ProgressTracker(ProgressListener listener, Consumer<BackupProgress> sink) {
        this.listener = listener == null ? ProgressListener.NONE : listener;
        this.sink = sink;
    }

    public synchronized void phase(BackupPhase newPhase) {
        phase = newPhase;
        item = "";
        if (newPhase == BackupPhase.RESTORING || newPhase == BackupPhase.DUMPING) {
            tablesDone = 0;
        }
        publish();
    }

    public synchronized void tablesTotal(int total) {
        tablesTotal = total;
        publish();
    }

    public synchronized void item(String what) {
        item = what;
        publish();
    }

    /** A stderr consumer for {@code pg_dump --verbose}. */
    public Consumer<String> pgDumpLines() {
        return line -> tableLine(DUMPING.matcher(line));
    }

    /** A stderr consumer for {@code pg_restore --verbose}. */
    public Consumer<String> pgRestoreLines() {
        return line -> tableLine(RESTORING.matcher(line));
    }

    private void tableLine(Matcher m) {
        if (m.find()) {
            synchronized (this) {
                tablesDone++;
                item = m.group(1);
                publish();
            }
        }
    }

    /** Polls the size of a file or folder being written until {@link #close()}. */
    public synchronized void watch(Path output) {
        stopWatching();
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fortress-backup-progress");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(() -> {
            long size = BackupFiles.sizeOf(output);
            synchronized (this) {
                if (size != bytes) {
                    bytes = size;
                    publish();
                }
            }
        }, 0, 500, TimeUnit.MILLISECONDS);
    }

    public synchronized void bytes(long total) {
        bytes = total;
        publish();
    }

    private void publish() {
        BackupProgress p = new BackupProgress(phase, bytes, tablesDone, tablesTotal, item);
        sink.accept(p);
        try {
            listener.progress(p);
        } catch (RuntimeException e) {
            // a failing listener must not fail the backup
        }
    }

    /** Stops polling the output's size (before it is renamed). */
    public synchronized void stopWatching() {
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
    }

    @Override
    public void close() {
        stopWatching();
    }
}
