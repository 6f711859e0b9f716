package io.fortress.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The programs beyond PostgreSQL that parts of fortress start: each with the Debian package that
 * provides it. {@code bin/test} installs these packages when it runs as root; a test that needs one
 * declares it with {@link RequiresTool}.
 */
public enum Tool {
    /** Patroni, for {@link PatroniCluster}. */
    PATRONI("patroni", "patroni"),
    /** etcd, Patroni's configuration store. */
    ETCD("etcd", "etcd-server"),
    /** PgBouncer, for {@link PgBouncers}. */
    PGBOUNCER("pgbouncer", "pgbouncer"),
    /** Prometheus's checker of metrics and rules. */
    PROMTOOL("promtool", "prometheus"),
    /** The Prometheus server, to evaluate alert rules against a live scrape. */
    PROMETHEUS("prometheus", "prometheus"),
    /** A headless browser, to load the status page. */
    CHROMIUM("chromium", "chromium"),
    /** pgBackRest, for base backups, WAL archiving and point-in-time recovery. */
    PGBACKREST("pgbackrest", "pgbackrest");

    private final String executable;
    private final String debianPackage;

    Tool(String executable, String debianPackage) {
        this.executable = executable;
        this.debianPackage = debianPackage;
    }

    /** The program's file name, e.g. {@code etcd}. */
    public String executable() {
        return executable;
    }

    /** The Debian package that installs it, e.g. {@code etcd-server}. */
    public String debianPackage() {
        return debianPackage;
    }

    /** The program on PATH, or in the sbin folders where Debian puts daemons. */
    public Optional<Path> find() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/local/sbin"));
        for (String dir : dirs) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, executable);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * The program's path.
     *
     * @throws ClusterException naming the program and the package to install when it is missing
     */
    public Path require() {
        return find().orElseThrow(() -> new ClusterException(missing()));
    }

    /** What to say when the program is missing: its name and how to install it. */
    public String missing() {
        return executable + " is not installed: install Debian's " + debianPackage + " package (apt-get install " + debianPackage
                + "; bin/test does when run as root)";
    }
}
