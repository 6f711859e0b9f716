package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * Turns on WAL archiving into pgBackRest for a running primary, in the order that cannot get stuck:
 * the configuration file, then {@code stanza-create} for every repository <em>before</em> PostgreSQL
 * starts archiving (an archive-push retrying a repository without a stanza holds the stanza's lock and
 * makes a later stanza-create fail), then {@code archive_mode} and {@code archive_command} through
 * {@code ALTER SYSTEM} (and {@code archive_timeout} when the server has none) and a restart when archive_mode changes, then {@code pgbackrest check}, which
 * pushes a segment through the archive and fails when it does not arrive.
 */
public final class ArchivingSetup {
    private static final Duration STANZA_TIMEOUT = Duration.ofMinutes(5);
    /** archive_timeout set when the server has none: a partly filled segment is archived after at most this long. */
    public static final String ARCHIVE_TIMEOUT = "60s";

    private final PgBackRest pgbackrest;
    private final Connector connector;

    /** Sets up archiving for the primary of {@code pgbackrest}'s settings, reached through {@code connector}. */
    public ArchivingSetup(PgBackRest pgbackrest, Connector connector) {
        this.pgbackrest = pgbackrest;
        this.connector = connector;
    }

    /**
     * Sets everything up; safe to repeat (stanza-create accepts an existing, matching stanza).
     *
     * @param restartPrimary restarts the primary server (archive_mode takes effect only then); called only when needed
     * @return whether the primary was restarted
     * @throws BackupException naming the step that failed and what to do
     */
    public boolean enable(Runnable restartPrimary) {
        PgBackRestConfigFile.write(pgbackrest.settings());
        pgbackrest.run("stanza-create", List.of(), STANZA_TIMEOUT);
        boolean restart = configureServer();
        if (restart) {
            restartPrimary.run();
        }
        check();
        return restart;
    }

    /**
     * Runs {@code pgbackrest check}: the configuration, the stanza in every repository, and a WAL segment
     * switched and found in the archive within archive-timeout.
     */
    public void check() {
        Duration wait = pgbackrest.settings().archiveTimeout().multipliedBy(2).plusMinutes(1);
        pgbackrest.run("check", List.of(), wait);
    }

    /** Sets archive_mode and archive_command on the primary; true when archive_mode changed, which needs a restart. */
    private boolean configureServer() {
        int port = pgbackrest.settings().primary().port();
        try (Connection c = connector.open(port); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            String mode = setting(c, "archive_mode");
            String walLevel = setting(c, "wal_level");
            if ("minimal".equals(walLevel)) {
                throw new BackupException("wal_level is minimal on the primary: WAL archiving needs wal_level = replica (or logical); "
                        + "set it and restart the server");
            }
            // ALTER SYSTEM takes no parameters: the value is a quoted literal of a command made of checked paths only
            s.execute("ALTER SYSTEM SET archive_command = " + literal(pgbackrest.archiveCommand()));
            if ("0".equals(setting(c, "archive_timeout"))) {
                // a segment a minute while anything is written: the archive's age, the live RPO, then stays near a minute
                s.execute("ALTER SYSTEM SET archive_timeout = '" + ARCHIVE_TIMEOUT + "'");
            }
            boolean restart = !"on".equals(mode) && !"always".equals(mode);
            if (restart) {
                s.execute("ALTER SYSTEM SET archive_mode = 'on'");
            }
            s.execute("SELECT pg_reload_conf()");
            return restart;
        } catch (SQLException e) {
            throw new BackupException("cannot set archive_mode and archive_command on the primary (port " + port + "): " + e.getMessage(), e);
        }
    }

    /** Turns archiving off again (archive_mode stays; archive_command is emptied, so segments are kept until it returns). */
    public void disable() {
        int port = pgbackrest.settings().primary().port();
        try (Connection c = connector.open(port); Statement s = c.createStatement()) {
            s.execute("ALTER SYSTEM RESET archive_command");
            s.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new BackupException("cannot reset archive_command on the primary (port " + port + "): " + e.getMessage(), e);
        }
    }

    private static String setting(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT current_setting(?)")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
