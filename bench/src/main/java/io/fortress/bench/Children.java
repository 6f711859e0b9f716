package io.fortress.bench;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Every process the bench starts: PostgreSQL client tools run to completion, and child JVMs that are
 * measured and then ended. None outlives the bench: each is ended on every path of its caller, and a
 * shutdown hook ends those still running when the bench is interrupted. The password reaches a child
 * through its environment only, never its arguments.
 */
final class Children {
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Children::kill), "bench-children"));
    }

    private Children() {
    }

    /**
     * Runs one of the cluster's PostgreSQL client tools (pgbench, pg_dump, psql) to completion, without
     * the caller's libpq variables; returns its output, or throws with it when the tool fails.
     */
    static String runTool(LocalCluster cluster, String tool, List<String> args, Path workDir) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(cluster.binaries().tool(tool));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().put("PGPASSWORD", cluster.password());
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p = start(pb);
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = p.waitFor();
            if (status != 0) {
                throw new IllegalStateException(tool + " " + String.join(" ", args) + " failed with exit status " + status + ":\n" + out);
            }
            return out;
        } finally {
            if (p.isAlive()) {
                kill(p); // interrupted
            } else {
                RUNNING.remove(p);
            }
        }
    }

    /**
     * Starts {@code java -Xmx256m <args>} connected to the cluster through DB_* variables (the caller's
     * PG*, DB_* and FORTRESS_* variables are dropped) plus {@code extraEnvironment}.
     *
     * @param readyLine        what the child prints once it is up (see {@link Jvm#awaitReady})
     * @param endOfInputGrace  how long the child gets to end by itself once its input is closed (0 for one that
     *                         does not read its input), before it is asked to terminate
     */
    static Jvm startJvm(LocalCluster cluster, String name, List<String> args, Map<String, String> extraEnvironment, String readyLine,
                        Duration endOfInputGrace) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("DB_") || k.startsWith("FORTRESS_"));
        env.put("DB_HOST", Node.HOST);
        env.put("DB_PORT", Integer.toString(cluster.primary().port()));
        env.put("DB_USER", cluster.superuser());
        env.put("PGPASSWORD", cluster.password());
        env.put("DB_NAME", cluster.database());
        env.put("DB_REPLICA_HOSTS", cluster.replicaAddresses());
        env.put("DB_SSLMODE", "disable");
        env.putAll(extraEnvironment);
        return new Jvm(name, start(pb), readyLine, endOfInputGrace);
    }

    private static Process start(ProcessBuilder pb) throws IOException {
        Process p = pb.start();
        RUNNING.add(p);
        return p;
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** A child JVM; its output is drained all along, the last lines kept for error messages. */
    static final class Jvm implements AutoCloseable {
        private final String name;
        private final Process process;
        private final Duration endOfInputGrace;
        private final Deque<String> tail = new ArrayDeque<>();
        private final CountDownLatch readyOrEnded = new CountDownLatch(1);
        private volatile boolean ready;

        private Jvm(String name, Process process, String readyLine, Duration endOfInputGrace) {
            this.name = name;
            this.process = process;
            this.endOfInputGrace = endOfInputGrace;
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (!ready && line.contains(readyLine)) {
                            ready = true;
                            readyOrEnded.countDown();
                        }
                        synchronized (tail) {
                            tail.addLast(line);
                            if (tail.size() > 20) {
                                tail.removeFirst();
                            }
                        }
                    }
                } catch (IOException ended) {
                    // the child is gone
                } finally {
                    readyOrEnded.countDown();
                }
            }, "bench-child-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits until the child printed its ready line; fails when it exits or stays silent for {@code timeout}. */
        void awaitReady(Duration timeout) throws InterruptedException {
            if (!readyOrEnded.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " was not ready within " + timeout.toSeconds() + " s; its output ends with:\n" + tail());
            }
            if (!ready) {
                throw new IllegalStateException(name + " ended before it was ready; its output ends with:\n" + tail());
            }
        }

        /** The child's resident set size, from /proc. */
        double residentMiB() throws IOException {
            for (String status : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (status.startsWith("VmRSS:")) {
                    return Long.parseLong(status.replaceAll("\\D", "")) / 1024.0;
                }
            }
            throw new IllegalStateException("no VmRSS in /proc/" + process.pid() + "/status of " + name);
        }

        private String tail() {
            synchronized (tail) {
                return String.join("\n", tail);
            }
        }

        /** Closes the child's input, then terminates it if it does not end by itself, then kills it. */
        @Override
        public void close() throws InterruptedException {
            try {
                try {
                    process.getOutputStream().close();
                } catch (IOException alreadyGone) {
                    // nothing to close
                }
                if (!process.waitFor(endOfInputGrace.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroy();
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        kill(process);
                        process.waitFor(30, TimeUnit.SECONDS);
                    }
                }
            } finally {
                if (process.isAlive()) {
                    kill(process); // interrupted; the shutdown hook tries again
                } else {
                    RUNNING.remove(process);
                }
            }
        }
    }
}
