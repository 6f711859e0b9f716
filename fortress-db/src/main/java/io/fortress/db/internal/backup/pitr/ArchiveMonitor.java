package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Reads the primary's archiving state, and pushes the WAL written so far into the archive. */
public final class ArchiveMonitor {
    private static final String STATUS = "SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, "
            + "last_failed_time, pg_walfile_name(pg_current_wal_lsn()), pg_current_wal_lsn()::text, now() FROM pg_stat_archiver";

    private final Connector connector;
    private final int port;

    /** Watches the primary listening on {@code port}. */
    public ArchiveMonitor(Connector connector, int port) {
        this.connector = connector;
        this.port = port;
    }

    /** The archiver's state now. */
    public ArchiveStatus status() {
        try (Connection c = connector.open(port); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(STATUS)) {
            rs.next();
            Optional<String> lastArchived = Optional.ofNullable(rs.getString(2));
            long current = io.fortress.db.internal.Lsn.parse(rs.getString(8));
            long archivedEnd = lastArchived.flatMap(w -> WalSegment.isSegment(w.substring(0, Math.min(24, w.length())))
                    ? WalSegment.endLsn(w.substring(0, 24)) : Optional.empty()).orElse(0L);
            return new ArchiveStatus(rs.getLong(1), lastArchived, instant(rs.getTimestamp(3)), rs.getLong(4),
                    Optional.ofNullable(rs.getString(5)), instant(rs.getTimestamp(6)), rs.getString(7),
                    io.fortress.db.internal.Lsn.distance(archivedEnd, current), rs.getTimestamp(9).toInstant());
        } catch (SQLException e) {
            throw new BackupException("cannot read pg_stat_archiver on port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Ends the current WAL segment ({@code pg_switch_wal()}, in a statement of its own: inside a
     * transaction with a write, that write's commit would land in the next segment) and waits until the
     * archiver reports it archived. Afterwards every commit acknowledged before this call is in the
     * archive, so a restore to a time before now finds the WAL it needs.
     *
     * @return the segment that was ended
     * @throws BackupException when it is not archived within {@code timeout}, with the archiver's failures
     */
    public String switchAndAwaitArchived(Duration timeout) {
        String segment;
        try (Connection c = connector.open(port); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            try (ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
                rs.next();
                segment = rs.getString(1);
            }
        } catch (SQLException e) {
            throw new BackupException("cannot switch WAL on the primary (port " + port + "): " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ArchiveStatus status = status();
            // a backup-label file (X.00000028.backup) or a partial segment is archived after segment X's start: its prefix counts
            Optional<String> last = status.lastArchivedWal().filter(w -> w.length() >= 24).map(w -> w.substring(0, 24))
                    .filter(WalSegment::isSegment);
            if (last.isPresent() && WalSegment.reached(last.get(), segment)) {
                return segment;
            }
            if (System.nanoTime() > deadline) {
                throw new BackupException("WAL segment " + segment + " did not reach the archive within " + io.fortress.db.api.Durations.format(timeout)
                        + " (last archived: " + status.lastArchivedWal().orElse("none") + "; failed attempts: " + status.failedCount()
                        + status.lastFailedWal().map(w -> ", the last for " + w).orElse("")
                        + "); check archive_command, the repository and pgBackRest's log");
            }
            sleep(100);
        }
    }

    private static Optional<Instant> instant(Timestamp t) {
        return Optional.ofNullable(t).map(Timestamp::toInstant);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("interrupted while waiting for the WAL archive", e);
        }
    }
}
