package io.fortress.db.migrate;

import io.fortress.db.api.Durations;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * golang-migrate's session advisory lock(s), taken by polling {@code pg_try_advisory_lock}: between
 * tries the connection is idle and holds no snapshot, so a waiting migrator can never deadlock with
 * a CREATE INDEX CONCURRENTLY run by the holder (golang-migrate #960, Flyway #1654), and the wait
 * really ends at the timeout.
 */
final class MigrationLock {
    private static final Logger log = LoggerFactory.getLogger(MigrationLock.class);
    private static final long FIRST_PAUSE_MS = 100;
    private static final long MAX_PAUSE_MS = 1000;

    private final Session session;
    private final List<Long> keys;

    private MigrationLock(Session session, List<Long> keys) {
        this.session = session;
        this.keys = keys;
    }

    /** The keys to take for the session's schema and table, ascending. */
    static List<Long> keys(LockKeys which, String database, TableNames names) {
        long cli = AdvisoryLockKey.forTable("/" + database, names.schema(), names.table());
        long library = AdvisoryLockKey.forTable(database, names.schema(), names.table());
        return switch (which) {
            case CLI -> List.of(cli);
            case LIBRARY -> List.of(library);
            case BOTH -> cli == library ? List.of(cli) : List.of(Math.min(cli, library), Math.max(cli, library));
        };
    }

    /**
     * Takes every key or none, trying until the timeout.
     *
     * @throws MigrationLockException after the timeout, naming the sessions that hold the lock
     */
    static MigrationLock acquire(Session session, List<Long> keys, Duration timeout) throws SQLException {
        MigrationLock lock = new MigrationLock(session, keys);
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_MS;
        boolean announced = false;
        while (true) {
            if (lock.tryAll()) {
                return lock;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new MigrationLockException("could not take the migration lock of " + session.names().display() + " (advisory keys "
                        + keys + ") within lockTimeout " + Durations.format(timeout) + "; it is held by " + lock.holders()
                        + ". Another migrator is running: wait for it and retry, or raise " + MigrationSettings.LOCK_TIMEOUT.variable());
            }
            if (!announced) {
                log.info("{}: the migration lock is held by {}; waiting up to {}", session.names().display(), lock.holders(),
                        Durations.format(timeout));
                announced = true;
            }
            long jittered = pause + ThreadLocalRandom.current().nextLong(pause / 4 + 1);
            sleep(Math.min(jittered, left / 1_000_000 + 1));
            pause = Math.min(MAX_PAUSE_MS, pause * 3 / 2);
        }
    }

    private boolean tryAll() throws SQLException {
        List<Long> taken = new ArrayList<>();
        for (long key : keys) {
            try (PreparedStatement ps = session.connection().prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                ps.setLong(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        for (long k : taken) {
                            unlock(k);
                        }
                        return false;
                    }
                }
            }
            taken.add(key);
        }
        return true;
    }

    /**
     * Checks that this session still holds every key (a migration could have run
     * pg_advisory_unlock_all, or the session could have been replaced).
     *
     * @throws MigrationLockException when a key is no longer held
     */
    void verifyHeld(String after) throws SQLException {
        Connection c = session.connection();
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "
                + "AND pid = pg_backend_pid() AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ANY (?)")) {
            Array array = c.createArrayOf("bigint", keys.toArray());
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) != keys.size()) {
                    throw new MigrationLockException("the migration lock of " + session.names().display() + " was lost after " + after
                            + "; another migrator may be running, so nothing further was run. Check that no migration releases "
                            + "advisory locks (DISCARD ALL, pg_advisory_unlock_all), then run again");
                }
            }
        }
    }

    /**
     * Releases every key.
     *
     * @return false when a key was not held any more
     */
    boolean release() throws SQLException {
        boolean all = true;
        for (long key : keys) {
            all &= unlock(key);
        }
        return all;
    }

    private boolean unlock(long key) throws SQLException {
        try (PreparedStatement ps = session.connection().prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    List<Long> keys() {
        return keys;
    }

    /** Who holds any of the keys now, for messages. */
    private String holders() {
        List<String> holders = new ArrayList<>();
        Connection c = session.connection();
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT a.pid, a.usename, a.application_name, a.backend_start, a.state "
                + "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
                + "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                + "AND ((l.classid::bigint << 32) | l.objid::bigint) = ANY (?) ORDER BY a.pid")) {
            ps.setArray(1, c.createArrayOf("bigint", keys.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    holders.add("pid " + rs.getInt(1) + " (user " + rs.getString(2) + ", application '" + rs.getString(3)
                            + "', connected " + rs.getObject(4, java.time.OffsetDateTime.class) + ", " + rs.getString(5) + ")");
                }
            }
        } catch (SQLException e) {
            return "another session (its details could not be read: " + e.getMessage() + ")";
        }
        return holders.isEmpty() ? "another session that has just released it" : String.join(", ", holders);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrationLockException("interrupted while waiting for the migration lock");
        }
    }
}
