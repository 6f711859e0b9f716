package io.fortress.db.internal.backup;

import io.fortress.db.backup.ArchiveState;
import io.fortress.db.backup.BackupException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The primary's archiver state as read at most every {@link #EVERY}, shared by the meters and the status page so
 * that neither a scrape nor a page view opens a connection to the primary each time. Between reads the age of the
 * last archived file keeps growing; a failed read is kept (and rethrown) until the next one is due.
 */
final class RecentArchiveState {
    static final Duration EVERY = Duration.ofSeconds(10);

    private final Supplier<ArchiveState> reader;
    private final Clock clock;
    private Instant readAt; // guarded by this
    private ArchiveState state; // guarded by this; null when the last read failed
    private BackupException failure; // guarded by this

    RecentArchiveState(Supplier<ArchiveState> reader, Clock clock) {
        this.reader = reader;
        this.clock = clock;
    }

    /**
     * The state read at most {@link #EVERY} ago, its age brought up to now.
     *
     * @throws BackupException the failure of that read
     */
    ArchiveState get() {
        Instant now = clock.instant();
        ArchiveState s;
        Instant at;
        synchronized (this) {
            if (readAt == null || Duration.between(readAt, now).compareTo(EVERY) >= 0) {
                readAt = now;
                try {
                    state = reader.get();
                    failure = null;
                } catch (BackupException e) {
                    state = null;
                    failure = e;
                }
            }
            if (state == null) {
                throw new BackupException(failure.getMessage(), failure);
            }
            s = state;
            at = readAt;
        }
        Duration since = Duration.between(at, now);
        return new ArchiveState(s.archivedCount(), s.lastArchivedWal(), s.lastArchivedTime(), s.lastArchivedAge().map(a -> a.plus(since)),
                s.failedCount(), s.lastFailedWal(), s.failing(), s.unarchivedBytes());
    }
}
