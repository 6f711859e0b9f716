package io.fortress.db.internal.backup;

import io.fortress.db.api.DbConfig;
import io.fortress.db.backup.BackupConfig;
import java.time.Clock;

/** What the parts of a manager share: settings, the folder, the server, the tools and the clock. */
public record BackupContext(DbConfig db, BackupConfig config, BackupStore store, ServerAccess server, PgToolLocator locator, Clock clock) {

    /** This context reading and writing another folder (a downloaded remote copy's). */
    public BackupContext in(BackupStore folder) {
        return new BackupContext(db, config, folder, server, locator, clock);
    }

    /** The database this manager backs up. */
    public String database() {
        return db.database();
    }

    /** Tools for the server, refusing clients older than it (before any file is written). */
    public ClientTools toolsForServer(PgVersion version) {
        return locator.locate(version, "the server " + server.displayAddress() + " (PostgreSQL " + version.text() + ")");
    }

    /** Tools able to read an archive written by the given pg_dump and, when given, to load into the server. */
    public ClientTools toolsForArchive(PgVersion dumpedBy, PgVersion server) {
        if (server != null && server.major() > dumpedBy.major()) {
            return toolsForServer(server);
        }
        return locator.locate(dumpedBy, "the archive (written by pg_dump " + dumpedBy.text() + ")");
    }

    /** One run's limit for a tool. */
    public java.time.Duration timeout() {
        return config.timeout();
    }

    /** A short explanation of common pg_dump/pg_restore failures, from their stderr. */
    public static String hint(String stderr) {
        if (stderr.contains("password authentication failed") || stderr.contains("no password supplied")) {
            return "; check the password (PGPASSWORD or DB_PASSWORD_FILE) and DB_USER";
        }
        if (stderr.contains("does not exist") && stderr.contains("database")) {
            return "; check DB_NAME";
        }
        if (stderr.contains("canceling statement due to statement timeout") || stderr.contains("lock timeout")) {
            return "; blocked by a lock another session holds: pg_dump waited BACKUP_LOCK_WAIT_TIMEOUT for it";
        }
        if (stderr.contains("No space left on device")) {
            return "; the backup folder's disk is full";
        }
        if (stderr.contains("aborting because of server version mismatch")) {
            return "; the client tools are older than the server (set PG_BIN to newer ones)";
        }
        return "";
    }
}
