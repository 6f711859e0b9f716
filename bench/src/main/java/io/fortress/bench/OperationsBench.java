package io.fortress.bench;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.db.Database;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupFormat;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManager;
import io.fortress.db.backup.VerifyLevel;
import io.fortress.db.migrate.MigrationConfig;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Backups against plain pg_dump, migrations against psql, and the memory of an idle serve. Dumps,
 * migration files and serve's backup folder live in a temporary folder removed on {@link #close()}.
 */
final class OperationsBench implements AutoCloseable {
    private final LocalCluster cluster;
    private final Results results;
    private final int rounds;
    private final Path work;

    OperationsBench(LocalCluster cluster, Results results, int rounds) throws Exception {
        this.cluster = cluster;
        this.results = results;
        this.rounds = rounds;
        this.work = Files.createTempDirectory("fortress-bench-ops");
    }

    // ---------------------------------------------------------------- backups

    void backups() throws Exception {
        long databaseBytes = Long.parseLong(cluster.primary().queryValue("SELECT pg_database_size(current_database())"));
        double mib = databaseBytes / (1024.0 * 1024.0);
        Figures plain = new Figures();
        Figures fortress = new Figures();
        Figures withoutCounts = new Figures();
        Figures parallelDirectory = new Figures();
        Figures verify = new Figures();
        try (Database db = Contenders.fortress(cluster, false, 4)) {
            for (int r = 0; r < rounds; r++) {
                // alternate who goes first, so that cache warmth favours neither
                if (r % 2 == 0) {
                    plain.add(mib / plainPgDump());
                    fortress.add(mib / fortressBackup(db, BackupFormat.CUSTOM, 1, true, verify));
                    withoutCounts.add(mib / fortressBackup(db, BackupFormat.CUSTOM, 1, false, null));
                } else {
                    withoutCounts.add(mib / fortressBackup(db, BackupFormat.CUSTOM, 1, false, null));
                    fortress.add(mib / fortressBackup(db, BackupFormat.CUSTOM, 1, true, verify));
                    plain.add(mib / plainPgDump());
                }
                parallelDirectory.add(mib / fortressBackup(db, BackupFormat.DIRECTORY, 2, true, null));
            }
        }
        String name = String.format(java.util.Locale.ROOT, "backup of %.0f MiB database", mib);
        results.compare(name, "fortress backup create (custom)", "pg_dump -Fc", "throughput_mib_s", fortress, plain, "≥0.90");
        results.compare(name, "the same, BACKUP_ROW_COUNTS=false", "pg_dump -Fc", "throughput_mib_s", withoutCounts, plain, "");
        results.compare(name, "fortress directory, 2 jobs", "fortress backup create (custom)", "throughput_mib_s",
                parallelDirectory, fortress, "");
        results.figure(name, "fortress verify, full read", "seconds", verify);
    }

    private double plainPgDump() throws Exception {
        Path file = work.resolve("plain.dump");
        Files.deleteIfExists(file);
        long start = System.nanoTime();
        Children.runTool(cluster, "pg_dump", List.of("-Fc", "-h", Node.HOST, "-p", Integer.toString(cluster.primary().port()),
                "-U", cluster.superuser(), "-f", file.toString(), cluster.database()), null);
        return (System.nanoTime() - start) / 1e9;
    }

    /** Seconds of one backup (checksums, manifest, row counts if asked; no verification), and of a full-read verify. */
    private double fortressBackup(Database db, BackupFormat format, int jobs, boolean rowCounts, Figures verifySeconds)
            throws Exception {
        Path dir = work.resolve("backups-" + format.spelling());
        // the same pg_dump as the plain baseline's, not whichever BackupManager would find itself
        BackupManager manager = BackupManager.create(db, BackupConfig.builder().backupDir(dir).format(format).parallelJobs(jobs)
                .verifyAfterBackup(null).rowCounts(rowCounts).pgBin(cluster.binaries().binDir()).build());
        long start = System.nanoTime();
        BackupInfo backup = manager.backup();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (verifySeconds != null) {
            long v = System.nanoTime();
            manager.verifyBackup(backup.path(), VerifyLevel.FULL_READ);
            verifySeconds.add((System.nanoTime() - v) / 1e9);
        }
        deleteTree(dir);
        return seconds;
    }

    // ---------------------------------------------------------------- migrations

    void migrations() throws Exception {
        Path files = work.resolve("migrations");
        Files.createDirectories(files);
        for (int i = 1; i <= 200; i++) {
            Files.writeString(files.resolve(String.format("%06d_step_%d.up.sql", i, i)),
                    "CREATE TABLE bench_step_" + i + " (id bigint PRIMARY KEY, note text);\nCREATE INDEX ON bench_step_" + i + " (note);\n");
            Files.writeString(files.resolve(String.format("%06d_step_%d.down.sql", i, i)), "DROP TABLE bench_step_" + i + ";\n");
        }
        Figures fortress = new Figures();
        Figures psql = new Figures();
        Figures fastPath = new Figures();
        try (Database db = Contenders.fortress(cluster, false, 4)) {
            for (int r = 0; r < rounds; r++) {
                // alternate who goes first, as for backups
                if (r % 2 == 0) {
                    fortress.add(fortressUp(db, files, "bench_fortress_" + r, fastPath));
                    psql.add(psqlRun(files, "bench_psql_" + r));
                } else {
                    psql.add(psqlRun(files, "bench_psql_" + r));
                    fortress.add(fortressUp(db, files, "bench_fortress_" + r, fastPath));
                }
            }
        }
        results.compare("apply 200 small migrations", "fortress MigrationManager.up()", "psql -f, one file at a time", "seconds",
                fortress, psql, "");
        results.figure("autoMigrate when current (fast path)", "fortress (target ≤20 ms)", "ms", fastPath);
    }

    /** Seconds of MigrationManager.up() into a new schema; then 20 autoMigrate calls on it, in ms, into {@code fastPath}. */
    private static double fortressUp(Database db, Path files, String schema, Figures fastPath) {
        long start = System.nanoTime();
        MigrationManager.create(db, MigrationSource.directory(files), MigrationConfig.forSchema(schema)).up();
        double seconds = (System.nanoTime() - start) / 1e9;
        for (int i = 0; i < 20; i++) {
            long t = System.nanoTime();
            MigrationManager.autoMigrate(db, MigrationSource.directory(files), MigrationConfig.forSchema(schema));
            fastPath.add((System.nanoTime() - t) / 1e6);
        }
        return seconds;
    }

    private double psqlRun(Path files, String schema) throws Exception {
        cluster.primary().execute("CREATE SCHEMA " + schema);
        List<Path> ups;
        try (Stream<Path> s = Files.list(files)) {
            ups = s.filter(p -> p.getFileName().toString().endsWith(".up.sql")).sorted(Comparator.naturalOrder()).toList();
        }
        long start = System.nanoTime();
        for (Path up : ups) {
            Children.runTool(cluster, "psql", List.of("-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", Node.HOST, "-p",
                    Integer.toString(cluster.primary().port()), "-U", cluster.superuser(), "-d", cluster.database(),
                    "-c", "SET search_path TO " + schema, "-f", up.toString()), null);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    // ---------------------------------------------------------------- memory of an idle serve

    void serveMemory() throws Exception {
        Path jar = Path.of("fortress-cli", "target", "fortress.jar");
        if (!Files.exists(jar)) {
            System.out.println("[bench] no " + jar + ": skipping the memory of an idle fortress serve (bench/run builds it)");
            return;
        }
        Figures rss = new Figures();
        // serve takes its first backup at start when its folder holds no good one: one taken here keeps every round idle
        try (Database db = Contenders.fortress(cluster, false, 1)) {
            BackupManager.create(db, BackupConfig.builder().backupDir(work.resolve("serve-backups")).verifyAfterBackup(null).rowCounts(false)
                    .pgBin(cluster.binaries().binDir()).build()).backup();
        }
        for (int r = 0; r < rounds; r++) {
            int port;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            Map<String, String> env = Map.of("BACKUP_DIR", work.resolve("serve-backups").toString(),
                    "FORTRESS_HTTP_ADDR", "127.0.0.1:" + port);
            try (Children.Jvm serve = Children.startJvm(cluster, "fortress serve", List.of("-jar", jar.toString(), "serve"), env,
                    "stop with Ctrl-C", Duration.ZERO)) {
                serve.awaitReady(Duration.ofMinutes(2));
                Thread.sleep(5000);
                rss.add(serve.residentMiB());
            }
        }
        results.figure("memory, idle JVM (-Xmx256m)", "fortress serve (3 pools, checker, HTTP)", "rss_mib", rss);
    }

    @Override
    public void close() throws Exception {
        deleteTree(work);
    }

    private static void deleteTree(Path root) throws Exception {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
