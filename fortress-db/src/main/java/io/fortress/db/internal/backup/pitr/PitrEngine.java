package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Point-in-time recovery of one cluster with pgBackRest: the operations the backup facade calls.
 * Base backups (from the standby when {@link PgBackRestSettings#backupStandby()}), the repository's
 * inventory and restorable window, verification, expiry, the archiver's state, and restores into a new
 * data directory started as a separate server.
 */
public final class PitrEngine {
    private final PgBackRest pgbackrest;
    private final Connector connector;
    private final Path pgBinDir;
    private final Duration commandTimeout;

    /**
     * An engine for the settings' stanza.
     *
     * @param connector      opens superuser connections to the primary and to restored servers
     * @param pgBinDir       the PostgreSQL server binaries' folder (pg_ctl), of the cluster's major version
     * @param commandTimeout the limit for a backup, restore or verify
     */
    public PitrEngine(PgBackRest pgbackrest, Connector connector, Path pgBinDir, Duration commandTimeout) {
        this.pgbackrest = pgbackrest;
        this.connector = connector;
        this.pgBinDir = Checks.path("the PostgreSQL binaries folder", pgBinDir);
        this.commandTimeout = commandTimeout;
    }

    public PgBackRest pgbackrest() {
        return pgbackrest;
    }

    /** Setting up archiving for the primary. */
    public ArchivingSetup archiving() {
        return new ArchivingSetup(pgbackrest, connector);
    }

    /** The primary's archiver. */
    public ArchiveMonitor archiveMonitor() {
        return new ArchiveMonitor(connector, pgbackrest.settings().primary().port());
    }

    /**
     * Takes a base backup into repository 1 (and every other, with {@code repository} empty pgBackRest takes repository 1).
     *
     * @return the backup taken, as the repository now lists it
     */
    public BaseBackup backup(BaseBackupType type, OptionalInt repository) {
        return backup(type, repository, pgbackrest.settings().backupStandby());
    }

    /**
     * Takes a base backup as {@link #backup(BaseBackupType, OptionalInt)} does, from the standby only when
     * {@code fromStandby} (and the settings name one): a standby that stopped streaming would make pgBackRest fail.
     */
    public BaseBackup backup(BaseBackupType type, OptionalInt repository, boolean fromStandby) {
        List<String> options = new ArrayList<>(List.of("--type=" + type.option()));
        if (pgbackrest.settings().backupStandby() && !fromStandby) {
            options.add("--no-backup-standby");
        }
        repository.ifPresent(r -> options.add("--repo=" + Checks.range("the repository to back up to", r, 1, 2)));
        pgbackrest.run("backup", options, commandTimeout);
        BackupInventory inventory = info();
        int repo = repository.orElse(1);
        return inventory.backups().stream().filter(b -> b.repository() == repo).reduce((a, b) -> b)
                .orElseThrow(() -> new BackupException("pgbackrest backup succeeded but repository " + repo + " lists no backup"));
    }

    /** The base backups and archived WAL of every repository. */
    public BackupInventory info() {
        String json = pgbackrest.run("info", List.of("--output=json"), Duration.ofMinutes(2)).stdout();
        return InfoParser.parse(pgbackrest.settings().stanza(), json);
    }

    /**
     * Checks every backup file and WAL segment of the repositories against their checksums
     * ({@code verify --output=text}): the problems are pgBackRest's summary lines of each invalid backup or
     * archive, and its lines naming each invalid or missing file or segment
     * ({@code invalid checksum '20261207-101500F/pg_data/PG_VERSION.lz4'}).
     */
    public VerifyResult verify() {
        // the files found bad are logged at level info only: stderr gets that level for this command
        PgBackRest.Outcome out = pgbackrest.execute("verify", List.of("--output=text", "--verbose=y", "--log-level-stderr=info"),
                commandTimeout);
        List<String> problems = new ArrayList<>();
        for (String line : out.stderr()) {
            boolean named = line.startsWith("INFO: ") && !line.startsWith("INFO: verify command") && !line.startsWith("INFO: stanza:");
            if (named || line.startsWith("WARN: ") || line.startsWith("ERROR: ")) {
                problems.add(line);
            }
        }
        for (String line : out.stdout().split("\n")) {
            String l = line.strip();
            boolean fine = l.isEmpty() || l.startsWith("stanza:") || l.equals("status: ok") || l.startsWith("archiveId:") && !l.contains("status:")
                    || l.startsWith("backup:") && l.contains("status: valid") || l.equals("missing: 0, checksum invalid: 0, size invalid: 0, other: 0");
            if (!fine) {
                problems.add(l);
            }
        }
        return new VerifyResult(out.exitCode() == 0 && problems.isEmpty(), problems);
    }

    /** Removes backups and WAL beyond the retention of each repository. */
    public void expire() {
        pgbackrest.run("expire", List.of(), commandTimeout);
    }

    /**
     * Restores into a new data directory and starts it as a separate server on a free port.
     *
     * <p>For a target in the past of a live primary, the WAL up to now is pushed into the archive first
     * (a WAL switch, then waiting for the archiver): otherwise the segment holding the target may still be
     * unarchived, recovery stops short, and PostgreSQL refuses to start.
     *
     * @param target          where replay stops
     * @param dataDirectory   a new or empty directory outside the stanza's data directories
     * @param repository      the repository to restore from; empty lets pgBackRest choose
     * @param primaryIsLive   whether the primary runs (then its WAL is flushed into the archive first)
     * @param stopWithJvm     whether the server is stopped when this JVM exits
     */
    public RestoredServer restore(RestoreTarget target, Path dataDirectory, OptionalInt repository, boolean primaryIsLive,
                                  boolean stopWithJvm) {
        if (primaryIsLive) {
            archiveMonitor().switchAndAwaitArchived(pgbackrest.settings().archiveTimeout());
        }
        Restore.files(pgbackrest, target, dataDirectory, repository, commandTimeout);
        return RestoredServer.start(dataDirectory, pgBinDir, OsUser.of(pgbackrest.settings()),
                connector, commandTimeout, stopWithJvm);
    }
}
