package io.fortress.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where the PostgreSQL server binaries (initdb, pg_ctl, postgres) come from.
 *
 * <p>Looked up in this order: the {@code PG_BIN} environment variable; {@code pg_config --bindir};
 * Debian's {@code /usr/lib/postgresql/<newest major>/bin}; the io.zonky.test.postgres embedded
 * binaries on the classpath (server only), unpacked once into a shared temporary folder.
 */
public final class PgBinaries {
    /** Environment variable naming a folder with initdb, pg_ctl and postgres. */
    public static final String PG_BIN_VARIABLE = "PG_BIN";
    private static final List<String> REQUIRED = List.of("initdb", "pg_ctl", "postgres");
    private static final String EMBEDDED_RESOURCE = "postgres-linux-x86_64.txz";
    private static final String EMBEDDED_SOURCE = "io.zonky.test.postgres embedded binaries";
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?");

    private final Path binDir;
    private final String source;
    private final int majorVersion;
    private final String version;

    private PgBinaries(Path binDir, String source) {
        this.binDir = binDir;
        this.source = source;
        String out = Processes.runChecked(List.of(binDir.resolve("postgres").toString(), "--version"), Duration.ofSeconds(30));
        Matcher m = VERSION.matcher(out);
        if (!m.find()) {
            throw new ClusterException("cannot tell the version of " + binDir.resolve("postgres") + " from: " + out.strip());
        }
        this.majorVersion = Integer.parseInt(m.group(1));
        this.version = m.group(2) == null ? m.group(1) : m.group(1) + "." + m.group(2);
    }

    /** Finds the server binaries, or fails with a message listing every place that was tried. */
    public static PgBinaries locate() {
        String fromEnv = System.getenv(PG_BIN_VARIABLE);
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path dir = Path.of(fromEnv.strip());
            if (!hasServer(dir)) {
                throw new ClusterException(PG_BIN_VARIABLE + "=" + fromEnv + " does not contain " + String.join(", ", REQUIRED)
                        + "; point it at a PostgreSQL bin folder such as /usr/lib/postgresql/15/bin, or unset it");
            }
            return new PgBinaries(dir, PG_BIN_VARIABLE);
        }
        Optional<Path> fromPgConfig = pgConfigBinDir();
        if (fromPgConfig.isPresent()) {
            return new PgBinaries(fromPgConfig.get(), "pg_config --bindir");
        }
        Optional<Path> debian = newestDebianBinDir();
        if (debian.isPresent()) {
            return new PgBinaries(debian.get(), "/usr/lib/postgresql");
        }
        Optional<Path> embedded = unpackEmbedded();
        if (embedded.isPresent()) {
            return new PgBinaries(embedded.get(), EMBEDDED_SOURCE);
        }
        throw new ClusterException("no PostgreSQL server binaries found: " + PG_BIN_VARIABLE + " is unset, pg_config is not on the PATH"
                + " or names no server, /usr/lib/postgresql/<version>/bin does not exist, and the embedded binaries are not on the"
                + " classpath; install a server (Debian: apt-get install postgresql) or set " + PG_BIN_VARIABLE);
    }

    /**
     * The io.zonky.test.postgres embedded server binaries (the last resort of {@link #locate()}), unpacked
     * on first use; fails when they are not on the classpath.
     */
    public static PgBinaries embedded() {
        return unpackEmbedded().map(dir -> new PgBinaries(dir, EMBEDDED_SOURCE))
                .orElseThrow(() -> new ClusterException("the io.zonky.test.postgres embedded binaries are not on the classpath"));
    }

    /**
     * The server binaries in a given folder, e.g. another major version than {@link #locate()} finds;
     * fails when the folder lacks initdb, pg_ctl or postgres.
     */
    public static PgBinaries in(Path binDir) {
        if (!hasServer(binDir)) {
            throw new ClusterException(binDir + " does not contain " + String.join(", ", REQUIRED));
        }
        return new PgBinaries(binDir, binDir.toString());
    }

    /** The folder holding initdb, pg_ctl and postgres. */
    public Path binDir() {
        return binDir;
    }

    /** The path of one binary in {@link #binDir()}. */
    public String tool(String name) {
        return binDir.resolve(name).toString();
    }

    /** Where the binaries were found, for messages. */
    public String source() {
        return source;
    }

    /** The server's major version, e.g. 15. */
    public int majorVersion() {
        return majorVersion;
    }

    /** The server's version, e.g. "15.18". */
    public String version() {
        return version;
    }

    @Override
    public String toString() {
        return "PostgreSQL " + version + " in " + binDir + " (from " + source + ")";
    }

    private static boolean hasServer(Path dir) {
        return REQUIRED.stream().allMatch(tool -> Files.isExecutable(dir.resolve(tool)));
    }

    private static Optional<Path> pgConfigBinDir() {
        try {
            Processes.Result result = Processes.run(List.of("pg_config", "--bindir"), Duration.ofSeconds(30));
            if (result.exitCode() == 0) {
                Path dir = Path.of(result.output().strip());
                return hasServer(dir) ? Optional.of(dir) : Optional.empty();
            }
        } catch (ClusterException notInstalled) {
            // pg_config is not on the PATH
        }
        return Optional.empty();
    }

    private static Optional<Path> newestDebianBinDir() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions
                    .filter(p -> p.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                    .map(p -> p.resolve("bin"))
                    .filter(PgBinaries::hasServer)
                    .max(Comparator.comparingDouble(p -> Double.parseDouble(p.getParent().getFileName().toString())));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Unpacks the embedded binaries once per content into {@code <tmp>/fortress-pgbin-<size>}; the folder
     * is world-readable so that an unprivileged server user can run them when this JVM is root.
     */
    @SuppressWarnings("try") // the lock is held, not used
    private static Optional<Path> unpackEmbedded() {
        ClassLoader loader = PgBinaries.class.getClassLoader();
        var url = loader.getResource(EMBEDDED_RESOURCE);
        if (url == null) {
            return Optional.empty();
        }
        try {
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            long size;
            try (InputStream in = url.openStream()) {
                size = in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            Path target = tmp.resolve("fortress-pgbin-" + size);
            Path lockFile = tmp.resolve("fortress-pgbin-" + size + ".lock");
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                if (hasServer(target.resolve("bin"))) {
                    return Optional.of(target.resolve("bin"));
                }
                Path staging = Files.createTempDirectory(tmp, "fortress-pgbin-staging-");
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
                Path archive = staging.resolve(EMBEDDED_RESOURCE);
                try (InputStream in = url.openStream()) {
                    Files.copy(in, archive);
                }
                Processes.runChecked(List.of("tar", "-xJf", archive.toString(), "-C", staging.toString()), Duration.ofMinutes(5));
                Files.delete(archive);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            }
            return Optional.of(target.resolve("bin"));
        } catch (IOException e) {
            throw new ClusterException("cannot unpack the embedded PostgreSQL binaries: " + e.getMessage(), e);
        }
    }
}
