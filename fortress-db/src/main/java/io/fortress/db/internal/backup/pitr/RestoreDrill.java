package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A restore drill: proves that the repository restores, and how long that takes. It verifies the repository
 * ({@code pgbackrest verify}), restores the latest base backup plus the archived WAL up to now into a new
 * folder, starts it as a throw-away server, compares every table's row count with the primary's, records the
 * time the restore took (the recovery time) and how far the restored server ended behind the primary when the drill
 * pushed its WAL into the archive, then
 * stops the server and deletes the folder it made.
 *
 * <p>The primary keeps taking writes during a drill, so a table's count is compared only when the table was
 * not written from before the restore until {@link #STATISTICS_DELAY} after its WAL switch: PostgreSQL's
 * table statistics ({@code n_tup_ins + n_tup_upd + n_tup_del}) reach {@code pg_stat_user_tables} within
 * 10 s of a commit. The other tables are listed as written during the drill.
 */
public final class RestoreDrill {
    /** How long after a commit PostgreSQL may take to count it in pg_stat_user_tables (its idle flush interval, 10 s), with a margin. */
    static final Duration STATISTICS_DELAY = Duration.ofSeconds(11);
    /** Tables of persistent relations only: an unlogged or temporary table is not in the WAL, and restores empty or not at all. */
    private static final String WRITES = "SELECT format('%I.%I', t.schemaname, t.relname), t.n_tup_ins + t.n_tup_upd + t.n_tup_del "
            + "FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid WHERE c.relpersistence = 'p' ORDER BY 1";

    /**
     * What the drill found.
     *
     * @param passed        the repository verified, the server started and every compared table had the primary's count
     * @param restoreTime   from the start of the restore until the restored server took writes (the recovery time)
     * @param restoredUpTo  the commit time of the last transaction the restored server replayed
     * @param bytesBehind   WAL the primary had written, when the restore began, beyond what the restored server replayed
     * @param compared      tables whose counts were compared
     * @param written       tables written during the drill, not compared
     * @param problems      what failed: pgBackRest's lines naming bad files or segments, tables missing or miscounted
     */
    public record Outcome(boolean passed, Instant started, Duration restoreTime, Optional<Instant> restoredUpTo, long bytesBehind,
                          int compared, List<String> written, List<String> problems) {
        public Outcome {
            written = List.copyOf(written);
            problems = List.copyOf(problems);
        }
    }

    private RestoreDrill() {
    }

    /**
     * Runs a drill into a new folder below {@code workDir}, which is deleted afterwards whatever happened.
     *
     * @param primaryPort the live primary's port
     */
    public static Outcome run(PitrEngine engine, Connector connector, int primaryPort, Path workDir) {
        Instant started = Instant.now();
        List<String> problems = new ArrayList<>();
        VerifyResult verified = engine.verify();
        verified.problems().forEach(p -> problems.add("verify: " + p));
        if (!verified.ok() && verified.problems().isEmpty()) {
            problems.add("verify: pgbackrest verify failed");
        }
        Map<String, Long> writesBefore = writes(connector, primaryPort);
        // every commit acknowledged before this point is archived: the restored server must hold it
        engine.archiveMonitor().switchAndAwaitArchived(engine.pgbackrest().settings().archiveTimeout());
        long switchedAt = System.nanoTime();
        long primaryLsn = currentLsn(connector, primaryPort);
        Path folder = newFolder(workDir);
        long restoreStart = System.nanoTime();
        RestoredServer server;
        try {
            server = engine.restore(RestoreTarget.latest(), folder, OptionalInt.empty(), false, true);
        } catch (BackupException e) {
            Restore.deleteTree(folder);
            deleteQuietly(folder.resolveSibling(folder.getFileName() + ".log"));
            problems.add("restore: " + e.getMessage());
            return new Outcome(false, started, Duration.ofMillis((System.nanoTime() - restoreStart) / 1_000_000), Optional.empty(), 0, 0, List.of(), problems);
        }
        Duration restoreTime = Duration.ofMillis((System.nanoTime() - restoreStart) / 1_000_000);
        try {
            Optional<Instant> upTo;
            long replayed;
            Map<String, Long> restoredCounts;
            try (Connection c = connector.open(server.port()); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT pg_last_xact_replay_timestamp(), pg_last_wal_replay_lsn()::text")) {
                    rs.next();
                    upTo = Optional.ofNullable(rs.getTimestamp(1)).map(Timestamp::toInstant);
                    replayed = rs.getString(2) == null ? 0 : io.fortress.db.internal.Lsn.parse(rs.getString(2));
                }
                restoredCounts = counts(s, writesBefore.keySet());
            } catch (SQLException e) {
                throw new BackupException("cannot read the restored server on port " + server.port() + ": " + e.getMessage(), e);
            }
            long waitNanos = STATISTICS_DELAY.toNanos() - (System.nanoTime() - switchedAt);
            if (waitNanos > 0) {
                ArchiveMonitor.sleep(waitNanos / 1_000_000);
            }
            Map<String, Long> primaryCounts;
            Map<String, Long> writesAfter;
            try (Connection c = connector.open(primaryPort); Statement s = c.createStatement()) {
                primaryCounts = counts(s, writesBefore.keySet());
                writesAfter = writes(s);
            } catch (SQLException e) {
                throw new BackupException("cannot count the primary's rows on port " + primaryPort + ": " + e.getMessage(), e);
            }
            List<String> written = new ArrayList<>();
            int compared = 0;
            for (Map.Entry<String, Long> table : writesBefore.entrySet()) {
                String name = table.getKey();
                if (!table.getValue().equals(writesAfter.get(name)) || !primaryCounts.containsKey(name)) {
                    written.add(name);
                } else if (!restoredCounts.containsKey(name)) {
                    problems.add("table " + name + " is missing from the restored server");
                } else {
                    compared++;
                    if (!restoredCounts.get(name).equals(primaryCounts.get(name))) {
                        problems.add("table " + name + " has " + restoredCounts.get(name) + " rows restored, " + primaryCounts.get(name)
                                + " on the primary");
                    }
                }
            }
            return new Outcome(problems.isEmpty(), started, restoreTime, upTo, Math.max(0, primaryLsn - replayed), compared, written,
                    problems);
        } finally {
            server.discard(); // the folder this drill made, and the server's log beside it
        }
    }

    /** Every user table's count of rows written so far (inserted, updated, deleted), by its quoted name. */
    private static Map<String, Long> writes(Connector connector, int port) {
        try (Connection c = connector.open(port); Statement s = c.createStatement()) {
            return writes(s);
        } catch (SQLException e) {
            throw new BackupException("cannot read pg_stat_user_tables on port " + port + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Long> writes(Statement s) throws SQLException {
        Map<String, Long> writes = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery(WRITES)) {
            while (rs.next()) {
                writes.put(rs.getString(1), rs.getLong(2));
            }
        }
        return writes;
    }

    /** The row counts of those of {@code tables} that exist on this server. */
    private static Map<String, Long> counts(Statement s, Iterable<String> tables) throws SQLException {
        Map<String, Long> present = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery(WRITES)) {
            while (rs.next()) {
                present.put(rs.getString(1), 0L);
            }
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String table : tables) {
            if (present.containsKey(table)) { // a name the server itself quoted (format %I), never text from elsewhere
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                    rs.next();
                    counts.put(table, rs.getLong(1));
                }
            }
        }
        return counts;
    }

    private static long currentLsn(Connector connector, int port) {
        try (Connection c = connector.open(port); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return io.fortress.db.internal.Lsn.parse(rs.getString(1));
        } catch (SQLException e) {
            throw new BackupException("cannot read the primary's WAL position on port " + port + ": " + e.getMessage(), e);
        }
    }

    private static Path newFolder(Path workDir) {
        try {
            Files.createDirectories(workDir);
            Path folder = Files.createTempDirectory(workDir, "drill-");
            Files.delete(folder); // the restore makes it, owned by the server's OS user
            return folder;
        } catch (IOException e) {
            throw new BackupException("cannot make a folder for the drill in " + workDir + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the log of a discarded drill: nothing depends on it
        }
    }
}
