package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything fortress tells pgBackRest about one cluster: the stanza, its servers, its repositories and
 * how to run. Built and checked by {@link Builder#build()}; {@link PgBackRestConfigFile} writes it as
 * pgbackrest.conf. Holds secrets (repository keys) that {@link #toString()} never shows.
 */
public final class PgBackRestSettings {
    private static final Set<String> COMPRESS_TYPES = Set.of("none", "gz", "lz4", "zst", "bz2");

    private final String stanza;
    private final Path configFile;
    private final Path lockPath;
    private final Path logPath;
    private final Path spoolPath;
    private final boolean archiveAsync;
    private final String compressType;
    private final int processMax;
    private final boolean startFast;
    private final Duration archiveTimeout;
    private final PgInstance primary;
    private final Optional<PgInstance> standby;
    private final boolean backupStandby;
    private final LocalRepository localRepository;
    private final Optional<S3Repository> s3Repository;
    private final Optional<String> connectHost;
    private final Optional<Path> passFile;

    private PgBackRestSettings(Builder b) {
        this.stanza = Checks.stanza(b.stanza);
        this.configFile = Checks.path("the pgbackrest.conf file", b.configFile);
        this.lockPath = Checks.path("lock-path", b.lockPath);
        this.logPath = Checks.path("log-path", b.logPath);
        this.spoolPath = Checks.path("spool-path", b.spoolPath);
        this.archiveAsync = b.archiveAsync;
        if (!COMPRESS_TYPES.contains(b.compressType)) {
            throw new BackupException("compress-type must be one of " + new java.util.TreeSet<>(COMPRESS_TYPES) + ", was '" + b.compressType + "'");
        }
        this.compressType = b.compressType;
        this.processMax = Checks.range("process-max", b.processMax, 1, 999);
        this.startFast = b.startFast;
        if (b.archiveTimeout == null || b.archiveTimeout.toMillis() < 100 || b.archiveTimeout.toSeconds() > 86_400) {
            throw new BackupException("archive-timeout must be between 100ms and 24h, was " + b.archiveTimeout);
        }
        this.archiveTimeout = b.archiveTimeout;
        this.primary = Objects.requireNonNull(b.primary, "primary");
        this.standby = Optional.ofNullable(b.standby);
        this.backupStandby = b.backupStandby;
        this.localRepository = Objects.requireNonNull(b.localRepository, "localRepository");
        this.s3Repository = Optional.ofNullable(b.s3Repository);
        this.connectHost = Optional.ofNullable(b.connectHost).map(h -> Checks.line("the host pgBackRest connects to (PGHOST)", h));
        this.passFile = Optional.ofNullable(b.passFile).map(p -> Checks.path("the libpq password file (PGPASSFILE)", p));
        checkConsistency();
    }

    private void checkConsistency() {
        if (backupStandby && standby.isEmpty()) {
            throw new BackupException("backup-standby needs a standby (pg2): name the streaming standby's data directory and port");
        }
        standby.ifPresent(s -> {
            if (s.dataDirectory().equals(primary.dataDirectory()) || s.port() == primary.port()) {
                throw new BackupException("the standby (pg2) must be another server than the primary (pg1): its data directory and port "
                        + "must differ, were " + s.dataDirectory() + " and " + s.port());
            }
        });
        Path data = primary.dataDirectory();
        for (var entry : java.util.Map.of("repo1-path", localRepository.path(), "spool-path", spoolPath, "lock-path", lockPath,
                "log-path", logPath, "the pgbackrest.conf file", configFile).entrySet()) {
            if (entry.getValue().startsWith(data) || data.startsWith(entry.getValue())) {
                throw new BackupException(entry.getKey() + " (" + entry.getValue() + ") must lie outside the data directory " + data
                        + ": a restore replaces that directory, and a repository there is lost with it");
            }
        }
        if ((primary.socketPath().isEmpty() || standby.map(s -> s.socketPath().isEmpty()).orElse(false)) && connectHost.isEmpty()) {
            throw new BackupException("a server without pg-socket-path is reached over TCP: give the host pgBackRest connects to (PGHOST), "
                    + "e.g. 127.0.0.1");
        }
    }

    /** A builder; stanza, config file, paths, primary and local repository are required. */
    public static Builder builder() {
        return new Builder();
    }

    public String stanza() {
        return stanza;
    }

    public Path configFile() {
        return configFile;
    }

    public Path lockPath() {
        return lockPath;
    }

    public Path logPath() {
        return logPath;
    }

    public Path spoolPath() {
        return spoolPath;
    }

    public boolean archiveAsync() {
        return archiveAsync;
    }

    public String compressType() {
        return compressType;
    }

    public int processMax() {
        return processMax;
    }

    public boolean startFast() {
        return startFast;
    }

    public Duration archiveTimeout() {
        return archiveTimeout;
    }

    public PgInstance primary() {
        return primary;
    }

    public Optional<PgInstance> standby() {
        return standby;
    }

    public boolean backupStandby() {
        return backupStandby;
    }

    public LocalRepository localRepository() {
        return localRepository;
    }

    public Optional<S3Repository> s3Repository() {
        return s3Repository;
    }

    /** The host pgBackRest's libpq connects to (PGHOST) for servers without a socket path. */
    public Optional<String> connectHost() {
        return connectHost;
    }

    /** The libpq password file (PGPASSFILE) pgBackRest logs in with; readable by the database's OS user. */
    public Optional<Path> passFile() {
        return passFile;
    }

    @Override
    public String toString() {
        return "PgBackRestSettings[stanza=" + stanza + ", config=" + configFile + ", primary=" + primary + ", standby=" + standby
                + ", backupStandby=" + backupStandby + ", repo1=" + localRepository + ", repo2=" + s3Repository + "]";
    }

    /** Collects the settings; {@link #build()} checks them all. */
    public static final class Builder {
        private String stanza;
        private Path configFile;
        private Path lockPath;
        private Path logPath;
        private Path spoolPath;
        private boolean archiveAsync = true;
        private String compressType = "lz4";
        private int processMax = 2;
        private boolean startFast = true;
        private Duration archiveTimeout = Duration.ofSeconds(60);
        private PgInstance primary;
        private PgInstance standby;
        private boolean backupStandby;
        private LocalRepository localRepository;
        private S3Repository s3Repository;
        private String connectHost;
        private Path passFile;

        private Builder() {
        }

        /** The stanza: pgBackRest's name for the cluster in its repositories. */
        public Builder stanza(String stanza) {
            this.stanza = stanza;
            return this;
        }

        /** Where pgbackrest.conf is written (0600, owned by the database's OS user). */
        public Builder configFile(Path configFile) {
            this.configFile = configFile;
            return this;
        }

        /**
         * Puts lock-path, log-path and spool-path under {@code directory} ({@code lock}, {@code log},
         * {@code spool}), and the config file there too.
         */
        public Builder workDirectory(Path directory) {
            Checks.path("the pgBackRest work directory", directory);
            this.configFile = directory.resolve("pgbackrest.conf");
            this.lockPath = directory.resolve("lock");
            this.logPath = directory.resolve("log");
            this.spoolPath = directory.resolve("spool");
            return this;
        }

        public Builder lockPath(Path lockPath) {
            this.lockPath = lockPath;
            return this;
        }

        public Builder logPath(Path logPath) {
            this.logPath = logPath;
            return this;
        }

        public Builder spoolPath(Path spoolPath) {
            this.spoolPath = spoolPath;
            return this;
        }

        /** Asynchronous archive-push (true by default): PostgreSQL is told "archived" once the segment is in the spool queue's hands. */
        public Builder archiveAsync(boolean archiveAsync) {
            this.archiveAsync = archiveAsync;
            return this;
        }

        /** none, gz, lz4 (default), zst or bz2. */
        public Builder compressType(String compressType) {
            this.compressType = compressType;
            return this;
        }

        /** Parallel processes for backup and restore (2 by default). */
        public Builder processMax(int processMax) {
            this.processMax = processMax;
            return this;
        }

        /** Whether a backup starts with an immediate checkpoint (true by default) rather than waiting for the next one. */
        public Builder startFast(boolean startFast) {
            this.startFast = startFast;
            return this;
        }

        /** How long archive-push, check and backup wait for a WAL segment to reach the archive (60 s by default). */
        public Builder archiveTimeout(Duration archiveTimeout) {
            this.archiveTimeout = archiveTimeout;
            return this;
        }

        public Builder primary(PgInstance primary) {
            this.primary = primary;
            return this;
        }

        /** A streaming standby (pg2); with {@link #backupStandby(boolean)} backups copy its files instead of the primary's. */
        public Builder standby(PgInstance standby) {
            this.standby = standby;
            return this;
        }

        public Builder backupStandby(boolean backupStandby) {
            this.backupStandby = backupStandby;
            return this;
        }

        public Builder localRepository(LocalRepository localRepository) {
            this.localRepository = localRepository;
            return this;
        }

        /** A second, S3-compatible repository (null for none). */
        public Builder s3Repository(S3Repository s3Repository) {
            this.s3Repository = s3Repository;
            return this;
        }

        /** The host (PGHOST) pgBackRest connects to over TCP when a server has no socket path, e.g. 127.0.0.1. */
        public Builder connectHost(String connectHost) {
            this.connectHost = connectHost;
            return this;
        }

        /** The libpq password file (PGPASSFILE) pgBackRest logs in with. */
        public Builder passFile(Path passFile) {
            this.passFile = passFile;
            return this;
        }

        /**
         * The settings, checked.
         *
         * @throws BackupException naming the first bad or missing setting
         */
        public PgBackRestSettings build() {
            if (primary == null) {
                throw new BackupException("the primary (pg1) is required: its data directory, port and user");
            }
            if (localRepository == null) {
                throw new BackupException("the local repository (repo1) is required: its path and retention");
            }
            return new PgBackRestSettings(this);
        }
    }
}
