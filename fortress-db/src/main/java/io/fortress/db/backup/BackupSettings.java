package io.fortress.db.backup;

import io.fortress.db.api.Setting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Every setting of {@link BackupConfig}, each defined once with its environment variable, default,
 * accepted values and meaning. docs/configuration.md lists the same table (Backup settings).
 */
public final class BackupSettings {
    private BackupSettings() {
    }

    public static final Setting<Path> BACKUP_DIR = Setting.of("backupDir", "BACKUP_DIR", Path.of("/var/backups/postgres"),
            Path::of, p -> !p.toString().isBlank(), "a folder path (created when missing)",
            "folder holding the backups, their manifests and lock files");
    public static final Setting<Integer> RETENTION_DAYS = Setting.integer("retentionDays", "RETENTION_DAYS", 7, 0, 36_500,
            "cleanup deletes backups older than this many days (by their manifest's start time), beyond minKeep and the "
                    + "daily/weekly/monthly keeps; 0 keeps backups of any age");
    public static final Setting<Integer> MIN_KEEP = Setting.integer("minKeep", "BACKUP_MIN_KEEP", 3, 1, 100_000,
            "the newest this many good backups are always kept, however old; the newest verified backup is kept too");
    public static final Setting<Integer> KEEP_DAILY = Setting.integer("keepDaily", "BACKUP_KEEP_DAILY", 0, 0, 100_000,
            "also keep the newest good backup of each of the last this many days (UTC) that have one; 0 turns it off");
    public static final Setting<Integer> KEEP_WEEKLY = Setting.integer("keepWeekly", "BACKUP_KEEP_WEEKLY", 0, 0, 100_000,
            "also keep the newest good backup of each of the last this many ISO weeks (UTC) that have one; 0 turns it off");
    public static final Setting<Integer> KEEP_MONTHLY = Setting.integer("keepMonthly", "BACKUP_KEEP_MONTHLY", 0, 0, 100_000,
            "also keep the newest good backup of each of the last this many months (UTC) that have one; 0 turns it off");
    public static final Setting<Compression> COMPRESSION = Setting.of("compression", "COMPRESSION", Compression.DEFAULT,
            Compression::parse, c -> true, Compression.ACCEPTED, "how pg_dump compresses table data");
    public static final Setting<BackupFormat> FORMAT = Setting.of("format", "BACKUP_FORMAT", BackupFormat.CUSTOM,
            BackupFormat::parse, f -> true, "custom or directory",
            "pg_dump archive format: custom (one file, CustomFormat) or directory (needed to dump with parallelJobs)");
    public static final Setting<Boolean> INCLUDE_SCHEMA = Setting.bool("includeSchema", "BACKUP_INCLUDE_SCHEMA", true,
            "dump table definitions and other objects (false: data only, pg_dump --data-only)");
    public static final Setting<Boolean> INCLUDE_DATA = Setting.bool("includeData", "BACKUP_INCLUDE_DATA", true,
            "dump table contents (false: definitions only, pg_dump --schema-only)");
    public static final Setting<Integer> PARALLEL_JOBS = Setting.integer("parallelJobs", "PARALLEL_JOBS", 1, 1, 64,
            "pg_dump jobs for the directory format (each opens a connection, plus one) and pg_restore jobs for both formats");
    public static final Setting<Boolean> GLOBALS = Setting.bool("globals", "BACKUP_GLOBALS", false,
            "also save roles and tablespaces (pg_dumpall --globals-only) beside each backup, for restore --globals");
    public static final Setting<Boolean> ROLE_PASSWORDS = Setting.bool("rolePasswords", "BACKUP_ROLE_PASSWORDS", false,
            "keep the roles' password hashes in the globals file (needs a superuser); restored roles otherwise have no password");
    public static final Setting<Optional<VerifyLevel>> VERIFY_AFTER_BACKUP = Setting.of("verifyAfterBackup", "BACKUP_VERIFY",
            Optional.of(VerifyLevel.FULL_READ), BackupSettings::verifyLevelOrNone, Objects::nonNull,
            "none, checksums, contents, full-read or restore-drill",
            "how deeply every new backup is verified before backup() returns; a failure marks it corrupt and fails the backup");
    public static final Setting<Boolean> ROW_COUNTS = Setting.bool("rowCounts", "BACKUP_ROW_COUNTS", true,
            "count every table's rows in the dump's own snapshot and record them in the manifest, for restore drills "
                    + "(costs a scan of each table)");
    public static final Setting<Double> FREE_SPACE_MARGIN = Setting.of("freeSpaceMargin", "BACKUP_FREE_SPACE_MARGIN", 1.2,
            BackupSettings::parseMargin, m -> m == 0 || m >= 1 && Double.isFinite(m), "0 (no check) or a number of at least 1",
            "a backup starts only when the backup folder's disk has this many times the size of the database's last backup "
                    + "free (after leftovers are swept); the first backup is not checked");
    public static final Setting<Duration> TIMEOUT = Setting.duration("timeout", "BACKUP_TIMEOUT", Duration.ofHours(12),
            d -> !d.isNegative(), "0 (no limit) or a positive duration",
            "longest time one pg_dump, pg_restore or pg_dumpall may run before it is ended and the run fails");
    public static final Setting<Duration> LOCK_WAIT_TIMEOUT = Setting.serverTimeout("lockWaitTimeout", "BACKUP_LOCK_WAIT_TIMEOUT",
            Duration.ofSeconds(30), "how long pg_dump waits for a table lock held by another session before the backup fails (--lock-wait-timeout)");
    public static final Setting<Duration> INTERVAL = Setting.duration("interval", "FORTRESS_BACKUP_INTERVAL", Duration.ofHours(24),
            d -> d.compareTo(Duration.ofMinutes(1)) >= 0, "a duration of at least 1m",
            "time between the starts of scheduled backups (BackupSchedule); the first starts at once when BACKUP_DIR holds no good backup, else one interval after the newest good one");
    public static final Setting<Path> PG_BIN = Setting.of("pgBin", "PG_BIN", null, Path::of, p -> !p.toString().isBlank(),
            "a folder path", "folder with pg_dump, pg_restore, pg_dumpall and psql; when unset, the newest found through "
                    + "pg_config --bindir, /usr/lib/postgresql/*/bin and PATH that is at least the server's major version");

    public static final Setting<RemoteLocation> REMOTE = Setting.of("remote", "BACKUP_REMOTE", null, RemoteLocation::parse, r -> true,
            "s3://<bucket>[/<prefix>] (no credentials in it)",
            "S3-compatible repository every verified backup is copied to, manifest last; credentials come from the standard "
                    + "AWS sources (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and its files), never from here");
    public static final Setting<java.net.URI> REMOTE_ENDPOINT = Setting.of("remoteEndpoint", "BACKUP_REMOTE_ENDPOINT", null,
            BackupSettings::parseEndpoint, u -> true, "an https:// URL without credentials (http:// only to a loopback address)",
            "the S3 API's address for a server other than AWS (MinIO, Ceph, s3proxy...); unset: AWS's own for the region");
    public static final Setting<String> REMOTE_REGION = Setting.text("remoteRegion", "BACKUP_REMOTE_REGION", "us-east-1",
            "the region requests are signed for");
    public static final Setting<Boolean> REMOTE_PATH_STYLE = Setting.bool("remotePathStyle", "BACKUP_REMOTE_PATH_STYLE", false,
            "address the bucket in the path (http://host/bucket/key), as most S3-compatible servers want, instead of in the host name");
    public static final Setting<Path> ENCRYPTION_KEY_FILE = Setting.file("encryptionKeyFile", "BACKUP_ENCRYPTION_KEY_FILE",
            "file holding the 256-bit key every object copied to BACKUP_REMOTE is encrypted with (AES-256-GCM in 64 KiB "
                    + "chunks): 64 hex digits, base64 or 32 raw bytes, readable by its owner only (chmod 600); unset: BACKUP_REMOTE is "
                    + "refused unless BACKUP_REMOTE_ALLOW_PLAINTEXT=true");
    public static final Setting<List<Path>> ENCRYPTION_OLD_KEY_FILES = Setting.of("encryptionOldKeyFiles",
            "BACKUP_ENCRYPTION_OLD_KEY_FILES", null, BackupSettings::parsePaths, l -> true, "comma-separated file paths",
            "earlier keys, kept to read copies encrypted before a key rotation (each readable by its owner only); new copies "
                    + "always use BACKUP_ENCRYPTION_KEY_FILE");
    public static final Setting<Boolean> REMOTE_ALLOW_PLAINTEXT = Setting.bool("remoteAllowPlaintext", "BACKUP_REMOTE_ALLOW_PLAINTEXT",
            false, "allow BACKUP_REMOTE without BACKUP_ENCRYPTION_KEY_FILE: copies are then stored as pg_dump wrote them, readable "
                    + "by whoever can read the bucket and replaceable by whoever can write to it");
    public static final Setting<Integer> REMOTE_RETENTION_DAYS = Setting.integer("remoteRetentionDays", "BACKUP_REMOTE_RETENTION_DAYS",
            30, 0, 36_500, "remote cleanup deletes copies older than this many days, beyond remoteMinKeep; 0 keeps copies of any age");
    public static final Setting<Integer> REMOTE_MIN_KEEP = Setting.integer("remoteMinKeep", "BACKUP_REMOTE_MIN_KEEP", 7, 1, 100_000,
            "the newest this many good remote copies are always kept, however old");

    public static final Setting<Boolean> PITR = Setting.bool("pitr", "BACKUP_PITR", false,
            "point-in-time recovery with pgBackRest: WAL archiving into BACKUP_PITR_REPO_PATH and physical base backups, "
                    + "restorable to any moment the archive covers (needs the pgbackrest program and a superuser login)");
    public static final Setting<Path> PITR_REPO_PATH = Setting.of("pitrRepoPath", "BACKUP_PITR_REPO_PATH", null, Path::of,
            p -> p.isAbsolute(), "an absolute folder path outside the data directory (created when missing)",
            "pgBackRest's repository (repo1-path): base backups and archived WAL; keep it off the data directory's disk; "
                    + "required with BACKUP_PITR=true");
    public static final Setting<Path> PITR_WORK_DIR = Setting.of("pitrWorkDir", "BACKUP_PITR_WORK_DIR", null, Path::of,
            p -> p.isAbsolute(), "an absolute folder path", "folder of pgbackrest.conf (0600) and pgBackRest's lock, log and "
                    + "spool folders, owned by the database's OS user").whenUnset("<BACKUP_DIR>/pgbackrest",
            c -> c.get(BACKUP_DIR).toAbsolutePath().resolve("pgbackrest"));
    public static final Setting<String> PITR_STANZA = Setting.of("pitrStanza", "BACKUP_PITR_STANZA", "main", s -> s,
            s -> s.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"), "letters, digits, _ . - (1 to 64, starting with a letter or digit)",
            "pgBackRest's name for the cluster in the repository");
    public static final Setting<Integer> PITR_RETENTION_FULL = Setting.integer("pitrRetentionFull", "BACKUP_PITR_RETENTION_FULL", 2, 1,
            9_999_999, "full base backups kept (repo1-retention-full); older ones, their diff/incr backups and the WAL only they "
                    + "need are expired, which sets how far back a restore can go");
    public static final Setting<Path> PITR_CIPHER_KEY_FILE = Setting.file("pitrCipherKeyFile", "BACKUP_PITR_CIPHER_KEY_FILE",
            "file whose first line is the passphrase the repository is encrypted with (aes-256-cbc, repo1-cipher-pass): at least "
                    + "20 characters, readable by its owner only (chmod 600); it goes into the 0600 pgbackrest.conf only, never "
                    + "into arguments or logs; unset: the repository is not encrypted");
    public static final Setting<Integer> PITR_PROCESS_MAX = Setting.integer("pitrProcessMax", "BACKUP_PITR_PROCESS_MAX", 2, 1, 999,
            "parallel pgBackRest processes for base backups and restores (process-max)");
    public static final Setting<Path> PITR_STANDBY_DIR = Setting.of("pitrStandbyDir", "BACKUP_PITR_STANDBY_DIR", null, Path::of,
            p -> p.isAbsolute(), "an absolute folder path", "data directory of a streaming standby on this host that base "
                    + "backups copy their files from (backup-standby), so the primary is not loaded; needs BACKUP_PITR_STANDBY_PORT; "
                    + "unset: from the primary");
    public static final Setting<Integer> PITR_STANDBY_PORT = Setting.integer("pitrStandbyPort", "BACKUP_PITR_STANDBY_PORT", 0, 0,
            65_535, "port of that standby; 0: none");
    public static final Setting<Path> PITR_REMOTE_CA_FILE = Setting.of("pitrRemoteCaFile", "BACKUP_PITR_REMOTE_CA_FILE", null, Path::of,
            p -> p.isAbsolute(), "an absolute file path", "with BACKUP_PITR and BACKUP_REMOTE, pgBackRest also archives WAL and "
                    + "base backups into the bucket (repository 2, under <prefix>/pgbackrest, over TLS only, encrypted with "
                    + "BACKUP_PITR_CIPHER_KEY_FILE); this is the certificate authority (PEM) it trusts for BACKUP_REMOTE_ENDPOINT, "
                    + "when the system's do not sign that server's certificate; unset: the system's");
    public static final Setting<Duration> PITR_FULL_INTERVAL = Setting.duration("pitrFullInterval", "BACKUP_PITR_FULL_INTERVAL",
            Duration.ofDays(7), d -> d.compareTo(Duration.ofMinutes(1)) >= 0, "a duration of at least 1m",
            "each scheduled backup run (FORTRESS_BACKUP_INTERVAL) also takes a base backup: a full one when the newest full "
                    + "one is older than this (or there is none), else a differential one");
    public static final Setting<Duration> PITR_DRILL_INTERVAL = Setting.duration("pitrDrillInterval", "BACKUP_PITR_DRILL_INTERVAL",
            Duration.ofDays(7), d -> d.isZero() || d.compareTo(Duration.ofMinutes(1)) >= 0, "0 (no scheduled drills) or a duration of at least 1m",
            "a scheduled backup run also runs a restore drill when the process ran none for this long (so the first run after a "
                    + "start does); it needs room for a second copy of the cluster in BACKUP_PITR_WORK_DIR");

    private static java.net.URI parseEndpoint(String text) {
        java.net.URI uri;
        try {
            uri = new java.net.URI(text);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' is not an http:// or https:// URL with a host");
        }
        if ("http".equals(uri.getScheme()) && !loopback(uri.getHost())) {
            throw new IllegalArgumentException("'" + text + "' is plain http to " + uri.getHost() + ", which is not a loopback address: "
                    + "the requests' signatures, object names and any unencrypted copy would cross the network in clear and could be "
                    + "altered on the way; use https://");
        }
        if (uri.getUserInfo() != null) {
            throw new IllegalArgumentException("the URL holds credentials; they come from the AWS sources (e.g. AWS_ACCESS_KEY_ID), "
                    + "never from a URL");
        }
        return uri;
    }

    /** localhost, 127.0.0.0/8 or ::1, by name or literal; other names are not resolved (DNS could answer anything). */
    private static boolean loopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false;
        }
        try {
            return java.net.InetAddress.getByName(h).isLoopbackAddress(); // a literal: parsed, never looked up
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static List<Path> parsePaths(String text) {
        List<Path> paths = new java.util.ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                paths.add(Path.of(part.strip()));
            }
        }
        return List.copyOf(paths);
    }

    private static Double parseMargin(String text) {
        try {
            return Double.valueOf(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number");
        }
    }

    /** {@code none} (empty) or a {@link VerifyLevel}'s spelling; null for anything else, which the check refuses naming what is accepted. */
    private static Optional<VerifyLevel> verifyLevelOrNone(String text) {
        if (text.equalsIgnoreCase("none")) {
            return Optional.empty();
        }
        try {
            return Optional.of(VerifyLevel.parse(text));
        } catch (IllegalArgumentException notALevel) {
            return null;
        }
    }

    /** Every setting, in the order docs and {@code toString} list them. */
    public static final List<Setting<?>> ALL = List.of(BACKUP_DIR, RETENTION_DAYS, MIN_KEEP, KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY,
            COMPRESSION, FORMAT, INCLUDE_SCHEMA, INCLUDE_DATA, PARALLEL_JOBS, GLOBALS, ROLE_PASSWORDS, VERIFY_AFTER_BACKUP,
            ROW_COUNTS, FREE_SPACE_MARGIN, TIMEOUT, LOCK_WAIT_TIMEOUT, INTERVAL, PG_BIN, REMOTE, REMOTE_ENDPOINT, REMOTE_REGION,
            REMOTE_PATH_STYLE, ENCRYPTION_KEY_FILE, ENCRYPTION_OLD_KEY_FILES, REMOTE_ALLOW_PLAINTEXT, REMOTE_RETENTION_DAYS, REMOTE_MIN_KEEP,
            PITR, PITR_REPO_PATH, PITR_WORK_DIR, PITR_STANZA, PITR_RETENTION_FULL, PITR_CIPHER_KEY_FILE, PITR_PROCESS_MAX,
            PITR_STANDBY_DIR, PITR_STANDBY_PORT, PITR_REMOTE_CA_FILE, PITR_FULL_INTERVAL, PITR_DRILL_INTERVAL);
}
