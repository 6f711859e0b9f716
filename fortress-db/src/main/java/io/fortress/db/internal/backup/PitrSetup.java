package io.fortress.db.internal.backup;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.Secret;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.RemoteLocation;
import io.fortress.db.internal.backup.pitr.Connector;
import io.fortress.db.internal.backup.pitr.LocalRepository;
import io.fortress.db.internal.backup.pitr.PgBackRestSettings;
import io.fortress.db.internal.backup.pitr.PgInstance;
import io.fortress.db.internal.backup.pitr.S3Repository;
import io.fortress.db.internal.pool.PasswordSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Properties;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * Turns the BACKUP_PITR_* settings and the Database's primary into pgBackRest's settings: the primary's
 * data directory and major version are read from the server itself, the login is the Database's, the
 * repository key is read from its file.
 */
final class PitrSetup {
    private PitrSetup() {
    }

    private static final String SERVER_FILE = "fortress-server.properties";

    /** What the server tells about itself; {@code live} false when it was remembered because the server could not be reached. */
    record Server(Path dataDirectory, int major, HostAndPort address, boolean live) {
    }

    /**
     * The primary's data directory and major version, read from the server (needs a superuser) and remembered in the
     * work folder; when the server cannot be reached (a restore after it was lost), what was remembered, with {@code live} false.
     */
    static Server describe(BackupContext ctx) {
        HostAndPort address = ctx.server().primaryAddress();
        Path remembered = ctx.config().pitrWorkDir().resolve(SERVER_FILE);
        try (Connection c = ctx.server().open(ctx.database()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('data_directory'), current_setting('server_version_num')::int / 10000")) {
            rs.next();
            return new Server(Path.of(rs.getString(1)), rs.getInt(2), address, true);
        } catch (SQLException e) {
            Optional<Server> known = recall(remembered, address);
            if (known.isPresent()) {
                return known.get();
            }
            throw new BackupException("cannot read the primary's data directory (" + address + "): " + e.getMessage()
                    + "; point-in-time recovery needs DB_USER to be a superuser", e);
        }
    }

    /** Remembers the server in the work folder (created by then), for a restore when it is gone. */
    static void remember(Path workDir, Server server) {
        Path file = workDir.resolve(SERVER_FILE);
        try {
            Files.writeString(file.resolveSibling(SERVER_FILE + ".tmp"), "data_directory=" + server.dataDirectory() + "\nmajor="
                    + server.major() + "\n", StandardCharsets.UTF_8);
            Files.move(file.resolveSibling(SERVER_FILE + ".tmp"), file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new BackupException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The server remembered in {@code file}, checked (it is read from disk); empty when there is none. */
    private static Optional<Server> recall(Path file, HostAndPort address) {
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            Path data = Path.of(p.getProperty("data_directory", ""));
            int major = Integer.parseInt(p.getProperty("major", ""));
            if (!data.isAbsolute() || major < 9 || major > 99) {
                throw new BackupException(file + " does not describe a server (data_directory, major); delete it and run "
                        + "`fortress backup pitr setup` against the running primary");
            }
            return Optional.of(new Server(data, major, address, false));
        } catch (IOException | NumberFormatException e) {
            throw new BackupException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** pgBackRest's settings for the primary, the configured standby and the local repository. */
    static PgBackRestSettings settings(BackupContext ctx, Server server) {
        BackupConfig config = ctx.config();
        Path repository = config.pitrRepoPath().orElseThrow(() -> new BackupException(
                "point-in-time recovery needs pitrRepoPath (BACKUP_PITR_REPO_PATH)"));
        Optional<Secret> cipher = config.pitrCipherKeyFile().map(PitrSetup::readCipherPass);
        String user = ctx.db().user();
        Path work = config.pitrWorkDir();
        PgBackRestSettings.Builder b = PgBackRestSettings.builder().stanza(config.pitrStanza()).workDirectory(work)
                .processMax(config.pitrProcessMax())
                .primary(PgInstance.tcp(server.dataDirectory(), server.address().port(), user))
                .localRepository(new LocalRepository(repository, config.pitrRetentionFull(), Optional.empty(), cipher))
                .connectHost(server.address().host());
        if (PasswordSource.primary(ctx.db()).current().isPresent()) {
            b.passFile(passFile(work));
        }
        config.pitrStandbyDir().ifPresent(dir -> b.standby(PgInstance.tcp(dir, config.pitrStandbyPort(), user)).backupStandby(true));
        config.remote().ifPresent(remote -> b.s3Repository(s3Repository(config, remote, cipher.orElseThrow())));
        return b.build();
    }

    /**
     * Repository 2, in the bucket of BACKUP_REMOTE under {@code <prefix>/pgbackrest}: the endpoint of BACKUP_REMOTE_ENDPOINT (https,
     * checked by the configuration) or AWS's for the region, and the access key the AWS SDK's default chain finds, as the dumps' copies use.
     */
    private static S3Repository s3Repository(BackupConfig config, RemoteLocation remote, Secret cipher) {
        java.net.URI endpoint = config.remoteEndpoint().orElse(java.net.URI.create("https://s3." + config.remoteRegion() + ".amazonaws.com"));
        AwsCredentials credentials;
        try (DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build()) {
            credentials = chain.resolveCredentials();
        } catch (RuntimeException e) {
            throw new BackupException("point-in-time recovery into BACKUP_REMOTE needs an S3 access key from the AWS SDK's default "
                    + "chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and its files): " + e.getMessage(), e);
        }
        if (credentials instanceof AwsSessionCredentials) {
            throw new BackupException("point-in-time recovery into BACKUP_REMOTE takes a long-lived S3 access key; the AWS SDK's default "
                    + "chain found temporary credentials (a session token), which pgBackRest's configuration would outlive");
        }
        return new S3Repository(remote.bucket(), endpoint.getHost(), endpoint.getPort() < 0 ? 443 : endpoint.getPort(), config.remoteRegion(),
                Path.of("/" + remote.key("pgbackrest")), config.pitrRemoteCaFile(), Secret.of(credentials.accessKeyId()),
                Secret.of(credentials.secretAccessKey()), config.pitrRetentionFull(), cipher);
    }

    static Path passFile(Path work) {
        return work.resolve("pgpass");
    }

    /** The server binaries (pg_ctl) of the cluster's major version: Debian's folder for it, else PG_BIN when it holds pg_ctl. */
    static Path serverBinaries(BackupConfig config, int major) {
        Path debian = Path.of("/usr/lib/postgresql", Integer.toString(major), "bin");
        if (Files.isExecutable(debian.resolve("pg_ctl"))) {
            return debian;
        }
        return config.pgBin().filter(p -> Files.isExecutable(p.resolve("pg_ctl"))).orElseThrow(() -> new BackupException(
                "a point-in-time restore starts the restored cluster with pg_ctl of PostgreSQL " + major + ", found neither in "
                        + debian + " nor in pgBin (PG_BIN); install the server package of that version or set PG_BIN to its bin folder"));
    }

    /**
     * Superuser connections with the Database's login: to the primary's own database on any port of its host (the primary,
     * a standby, a restored server).
     */
    static Connector connector(DbConfig db, String host) {
        return port -> {
            Properties p = new Properties();
            p.setProperty("user", db.user());
            PasswordSource.primary(db).current().ifPresent(pw -> p.setProperty("password", pw.reveal()));
            p.setProperty("sslmode", db.sslMode().value());
            db.sslRootCert().ifPresent(f -> p.setProperty("sslrootcert", f.toString()));
            db.sslCert().ifPresent(f -> p.setProperty("sslcert", f.toString()));
            db.sslKey().ifPresent(f -> p.setProperty("sslkey", f.toString()));
            p.setProperty("connectTimeout", Long.toString(Math.max(2, db.connectTimeout().toSeconds())));
            p.setProperty("ApplicationName", db.applicationName() + "-pitr");
            return DriverManager.getConnection("jdbc:postgresql://" + new HostAndPort(host, port) + "/" + db.database(), p);
        };
    }

    /** The repository passphrase: the key file's first line, at least 20 characters, the file readable by its owner only. */
    static Secret readCipherPass(Path file) {
        String setting = "pitrCipherKeyFile (BACKUP_PITR_CIPHER_KEY_FILE, " + file + ")";
        try {
            if (!Files.isRegularFile(file)) {
                throw new BackupException(setting + " is not a readable file");
            }
            var perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (perms.stream().anyMatch(EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE)::contains)) {
                throw new BackupException(setting + " can be read or written by other users; chmod 600 it");
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            String line = text.lines().findFirst().orElse("").strip();
            if (line.length() < 20) {
                throw new BackupException(setting + " must hold a passphrase of at least 20 characters on its first line, e.g. "
                        + "from openssl rand -base64 48");
            }
            return Secret.of(line);
        } catch (IOException e) {
            throw new BackupException("cannot read " + setting + ": " + e.getMessage(), e);
        }
    }
}
