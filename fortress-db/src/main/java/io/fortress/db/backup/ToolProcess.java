package io.fortress.db.backup;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one PostgreSQL client tool from an argument list (never through a shell), with an
 * environment of its own, both output streams drained on their own threads, and a time limit.
 * The tool and everything it started are ended on timeout, when the calling thread is interrupted,
 * and when the JVM shuts down.
 */
final class ToolProcess {
    private static final int STDERR_LINES_KEPT = 200;
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ToolProcess::end), "fortress-backup-tools-shutdown"));
    }

    private ToolProcess() {
    }

    /** Exit status and output of a finished tool. */
    record Result(int exitCode, String stdout, List<String> stderr) {
        boolean ok() {
            return exitCode == 0;
        }

        /** The last stderr lines, for error messages. */
        String stderrTail(int lines) {
            List<String> tail = stderr.subList(Math.max(0, stderr.size() - lines), stderr.size());
            return String.join("\n", tail);
        }
    }

    /**
     * Runs the command to completion.
     *
     * @param environment variables added to the child's environment, after every inherited {@code PG*} and password variable was removed
     * @param timeout     zero for no limit
     * @param stderrLines told of every stderr line as it comes (may be null)
     * @throws BackupException when the tool cannot be started, runs past the timeout, or the thread is interrupted
     */
    static Result run(List<String> command, Map<String, String> environment, Duration timeout, Consumer<String> stderrLines) {
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        // Inherited libpq variables (PGPASSWORD, PGHOST, ...) must neither leak into nor redirect the tool, and no
        // other password (DB_REPLICA_PASSWORD, ...) has any business there.
        env.keySet().removeIf(name -> name.startsWith("PG") || name.contains("PASSWORD") || name.contains("SECRET"));
        env.remove("LANGUAGE");
        env.put("LC_MESSAGES", "C"); // progress and errors are parsed in English
        env.putAll(environment);
        String tool = java.nio.file.Path.of(command.get(0)).getFileName().toString();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new BackupException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        LIVE.add(process);
        try {
            process.getOutputStream().close();
            StringBuilder stdout = new StringBuilder();
            Deque<String> stderr = new ArrayDeque<>();
            Thread out = drain(process.getInputStream(), tool + "-stdout", line -> stdout.append(line).append('\n'));
            Thread err = drain(process.getErrorStream(), tool + "-stderr", line -> {
                synchronized (stderr) {
                    stderr.addLast(line);
                    if (stderr.size() > STDERR_LINES_KEPT) {
                        stderr.removeFirst();
                    }
                }
                if (stderrLines != null) {
                    stderrLines.accept(line);
                }
            });
            boolean finished = waitFor(process, timeout.toMillis());
            if (!finished) {
                end(process);
                throw new BackupException(tool + " did not finish within " + io.fortress.db.api.Durations.format(timeout)
                        + " (BACKUP_TIMEOUT) and was ended; raise the timeout or look for what blocks it");
            }
            join(out);
            join(err);
            synchronized (stderr) {
                return new Result(process.exitValue(), stdout.toString(), new ArrayList<>(stderr));
            }
        } catch (InterruptedException e) {
            end(process);
            Thread.currentThread().interrupt();
            throw new BackupException(tool + " was cancelled and ended", e);
        } catch (IOException e) {
            end(process);
            throw new BackupException("cannot talk to " + tool + ": " + e.getMessage(), e);
        } finally {
            LIVE.remove(process);
        }
    }

    /** Waits up to {@code millis}, or for ever when 0. */
    private static boolean waitFor(Process process, long millis) throws InterruptedException {
        if (millis == 0) {
            process.waitFor();
            return true;
        }
        return process.waitFor(millis, TimeUnit.MILLISECONDS);
    }

    private static void join(Thread t) throws InterruptedException {
        t.join(10_000);
    }

    private static Thread drain(InputStream in, String name, Consumer<String> lines) {
        Thread t = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.accept(line);
                }
            } catch (IOException ignored) {
                // the process ended; what was read is kept
            }
        }, "fortress-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Ends the tool and its children (pg_dump -j forks workers): politely first, then by force. */
    static void end(Process process) {
        List<ProcessHandle> children = process.descendants().toList(); // before the parent dies and they are re-parented
        children.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
