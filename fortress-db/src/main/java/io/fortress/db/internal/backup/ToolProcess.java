package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.internal.OutputLines;
import java.io.IOException;
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
public final class ToolProcess {
    private static final int STDERR_LINES_KEPT = 200;
    /** Running tools, each with how long its owner may take to stop it once the JVM shuts down (0: end it at once). */
    private static final Map<Process, Long> LIVE = new ConcurrentHashMap<>();
    /** The shutdown grace of tools this thread starts; see {@link #withShutdownGrace}. */
    private static final ThreadLocal<Duration> GRACE = ThreadLocal.withInitial(() -> Duration.ZERO);
    /** Tools this JVM's shutdown hook ended: their failure says so rather than blaming a signal from elsewhere. */
    private static final Set<Process> ENDED_AT_SHUTDOWN = ConcurrentHashMap.newKeySet();
    /** What the PostgreSQL tools print when they catch SIGINT, SIGTERM or SIGQUIT (pg_dump's and pg_restore's handler). */
    private static final String TERMINATED_BY_USER = "terminated by user";

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ToolProcess::endAtShutdown, "fortress-backup-tools-shutdown"));
    }

    /**
     * Runs {@code work} so that the tools it starts are left to their owner for up to {@code grace} once the JVM
     * begins to shut down: an owner with a graceful stop of its own (a schedule that lets a running backup finish,
     * then cancels it) must not find its tool killed by this class's hook first. Past the grace the hook ends them.
     */
    public static <T> T withShutdownGrace(Duration grace, java.util.function.Supplier<T> work) {
        Duration before = GRACE.get();
        GRACE.set(grace);
        try {
            return work.get();
        } finally {
            GRACE.set(before);
        }
    }

    /** The shutdown hook: ends tools without a grace at once, the others when they outlive theirs. */
    private static void endAtShutdown() {
        long began = System.nanoTime();
        List<Thread> enders = new ArrayList<>();
        LIVE.forEach((process, graceNanos) -> {
            Thread t = new Thread(() -> {
                try {
                    long left = graceNanos - (System.nanoTime() - began);
                    if (left > 0 && process.waitFor(left, TimeUnit.NANOSECONDS)) {
                        return; // its owner stopped it, or it finished
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ENDED_AT_SHUTDOWN.add(process);
                end(process);
            }, "fortress-backup-tool-end");
            t.start();
            enders.add(t);
        });
        for (Thread t : enders) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private ToolProcess() {
    }

    /**
     * Exit status and output of a finished tool.
     *
     * @param tool            the tool's file name (pg_dump), for messages
     * @param endedAtShutdown whether this JVM's shutdown hook ended it
     */
    public record Result(String tool, int exitCode, String stdout, List<String> stderr, boolean endedAtShutdown) {
        boolean ok() {
            return exitCode == 0;
        }

        /**
         * The last stderr lines that report a problem (errors, their details, fatal messages, "terminated by user"),
         * or the last lines when none does: a failure's cause, not the verbose progress before it.
         */
        String errorTail(int lines) {
            List<String> errors = stderr.stream().filter(Result::reportsAProblem).toList();
            List<String> chosen = errors.isEmpty() ? stderr : errors;
            return String.join("\n", chosen.subList(Math.max(0, chosen.size() - lines), chosen.size()));
        }

        private static boolean reportsAProblem(String line) {
            String l = line.toLowerCase(java.util.Locale.ROOT);
            return l.contains("error") || l.contains("fatal") || l.contains("detail:") || l.contains("hint:") || l.contains("panic")
                    || l.contains(TERMINATED_BY_USER) || l.contains("could not") || l.contains("cannot") || l.contains("failed")
                    || l.contains("no space left") || l.contains("permission denied") || l.contains("warning:");
        }

        /**
         * How the tool failed, in words, first: stopped by a signal (and whether fortress sent it), its server
         * connection ended by the server, or plainly its exit status. The output's tail is for the caller to add.
         */
        String failure() {
            if (endedAtShutdown) {
                return tool + " was ended by fortress because this JVM is shutting down (SIGTERM or Ctrl-C to fortress, or an exit)";
            }
            if (exitCode > 128 && exitCode <= 128 + 64) {
                return tool + " was stopped by a signal (" + signalName(exitCode - 128) + ") that fortress did not send" + signalSource();
            }
            if (stderr.stream().anyMatch(l -> l.endsWith(TERMINATED_BY_USER))) {
                return tool + " was stopped by a signal (SIGTERM, SIGINT or SIGQUIT: it printed \"" + TERMINATED_BY_USER
                        + "\" and exited with status " + exitCode + ") that fortress did not send" + signalSource();
            }
            if (stderr.stream().anyMatch(l -> l.contains("terminating connection due to administrator command"))) {
                return tool + "'s connection was ended by the server (\"terminating connection due to administrator command\": "
                        + "pg_terminate_backend() by a user or a script, or a shutdown of the server) and it exited with status " + exitCode;
            }
            if (stderr.stream().anyMatch(l -> l.contains("server closed the connection unexpectedly"))) {
                return tool + " lost its connection: the server closed it unexpectedly (it crashed, restarted or a process of it was "
                        + "killed) and " + tool + " exited with status " + exitCode;
            }
            return tool + " failed (exit status " + exitCode + ")";
        }

        private static String signalSource() {
            return jvmShuttingDown()
                    ? ", while this JVM is shutting down too: a signal to the whole process group, as Ctrl-C in a terminal or timeout(1) send"
                    : "; look for what signals processes on this machine (a kill of the process group, pkill, a watchdog of another program)";
        }
    }

    public static String signalName(int signal) {
        return switch (signal) {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 3 -> "SIGQUIT";
            case 6 -> "SIGABRT";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 13 -> "SIGPIPE";
            case 15 -> "SIGTERM";
            default -> "signal " + signal;
        };
    }

    /** True once this JVM began to shut down: shutdown hooks can no longer be added then. */
    public static boolean jvmShuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
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
    public static Result run(List<String> command, Map<String, String> environment, Duration timeout, Consumer<String> stderrLines) {
        return run(command, environment, timeout, "BACKUP_TIMEOUT", stderrLines);
    }

    /**
     * Runs the command to completion, under a time limit named {@code timeoutName} in messages (a setting's
     * variable; null for a fixed limit of fortress's own).
     */
    public static Result run(List<String> command, Map<String, String> environment, Duration timeout, String timeoutName,
                      Consumer<String> stderrLines) {
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
        LIVE.put(process, GRACE.get().toNanos());
        try {
            process.getOutputStream().close();
            StringBuilder stdout = new StringBuilder();
            Deque<String> stderr = new ArrayDeque<>();
            Thread out = OutputLines.drain(process.getInputStream(), "fortress-" + tool + "-stdout", line -> stdout.append(line).append('\n'));
            Thread err = OutputLines.drain(process.getErrorStream(), "fortress-" + tool + "-stderr", line -> {
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
                join(err);
                String tail;
                synchronized (stderr) {
                    // its "terminated by user" answers fortress's own signal: the lines before it show where it was
                    tail = new Result(tool, -1, "", stderr.stream().filter(l -> !l.endsWith(TERMINATED_BY_USER)).toList(), false)
                            .errorTail(4);
                }
                String limit = io.fortress.db.api.Durations.format(timeout);
                throw new BackupException(tool + (timeoutName == null ? " ran past its time limit (" + limit + ")"
                        : " ran past " + timeoutName + " (" + limit + ")") + " and was ended by fortress; "
                        + (timeoutName == null ? "look for what blocks it" : "raise " + timeoutName + " or look for what blocks it")
                        + (tail.isEmpty() ? "" : "; its last lines:\n" + tail));
            }
            join(out);
            join(err);
            synchronized (stderr) {
                return new Result(tool, process.exitValue(), stdout.toString(), new ArrayList<>(stderr), ENDED_AT_SHUTDOWN.contains(process));
            }
        } catch (InterruptedException e) {
            end(process);
            Thread.currentThread().interrupt();
            throw new BackupException(tool + " was cancelled (its thread was interrupted: a stop of the schedule or of serve) and ended by fortress", e);
        } catch (IOException e) {
            end(process);
            throw new BackupException("cannot talk to " + tool + ": " + e.getMessage(), e);
        } finally {
            LIVE.remove(process);
            ENDED_AT_SHUTDOWN.remove(process);
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

    /** Ends the tool and its children (pg_dump -j forks workers): politely first, then by force. */
    public static void end(Process process) {
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
