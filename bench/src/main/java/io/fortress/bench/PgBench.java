package io.fortress.bench;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the real pgbench against a node of a local cluster, the password in its environment only. Its
 * per-transaction logs go to a temporary folder of its own, removed on {@link #close()}.
 */
final class PgBench implements AutoCloseable {
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");

    private final LocalCluster cluster;
    private final Path logDir;

    PgBench(LocalCluster cluster) throws IOException {
        this.cluster = cluster;
        if (!Files.isExecutable(Path.of(cluster.binaries().tool("pgbench")))) {
            throw new IllegalStateException("pgbench is not in " + cluster.binaries().binDir()
                    + "; the benchmarks need PostgreSQL's client tools (Debian: apt-get install postgresql)");
        }
        this.logDir = Files.createTempDirectory("fortress-bench-pgbench");
    }

    /** Creates and fills the pgbench tables at the given scale (100,000 accounts per unit). */
    void initialize(int scale) throws Exception {
        run(cluster.primary(), List.of("-i", "-s", Integer.toString(scale), "-q"), null);
    }

    /** Runs a pgbench workload; {@code builtin} is null for TPC-B-like, "-S" for select-only. */
    LoadRunner.Run run(Node node, String builtin, int clients, double seconds) throws Exception {
        deleteLogs();
        List<String> args = new ArrayList<>(List.of("-n", "-M", "prepared", "-c", Integer.toString(clients), "-j",
                Integer.toString(Math.min(clients, 2)), "-T", Integer.toString((int) Math.round(seconds)), "-l", "--log-prefix",
                logDir.resolve("pgbench").toString()));
        if (builtin != null) {
            args.add(0, builtin);
        }
        String out = run(node, args, logDir);
        Matcher m = TPS.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("pgbench printed no tps:\n" + out);
        }
        double tps = Double.parseDouble(m.group(1));
        List<Long> latencies = new ArrayList<>();
        try (Stream<Path> logs = Files.list(logDir)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("pgbench")).toList()) {
                for (String line : Files.readAllLines(log)) {
                    String[] f = line.split(" ");
                    if (f.length >= 3) {
                        latencies.add(Long.parseLong(f[2]) * 1000); // the log has microseconds, Run takes nanoseconds
                    }
                }
            }
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        long operations = Math.round(tps * seconds);
        return new LoadRunner.Run(operations, seconds, sorted, -1); // pgbench's own threads: not measured
    }

    @Override
    public void close() throws IOException {
        deleteLogs();
        Files.deleteIfExists(logDir);
    }

    private void deleteLogs() throws IOException {
        try (Stream<Path> old = Files.list(logDir)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
    }

    private String run(Node node, List<String> args, Path workDir) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("-h", Node.HOST, "-p", Integer.toString(node.port()), "-U", cluster.superuser()));
        all.addAll(args);
        all.add(cluster.database());
        return Children.runTool(cluster, "pgbench", all, workDir);
    }
}
