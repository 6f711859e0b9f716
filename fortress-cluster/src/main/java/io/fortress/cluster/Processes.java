package io.fortress.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs short-lived commands (initdb, pg_ctl, tar) to completion, with a timeout and captured output. */
final class Processes {
    private Processes() {
    }

    /** Output and exit status of a finished command. */
    record Result(int exitCode, String output) {
    }

    /** Runs the command; a non-zero exit status is an error that carries the command's output. */
    static String runChecked(List<String> command, Duration timeout) {
        Result result = run(command, timeout);
        if (result.exitCode() != 0) {
            throw new ClusterException("command failed with exit status " + result.exitCode() + ": "
                    + String.join(" ", command) + "\n" + result.output().strip());
        }
        return result.output();
    }

    static Result run(List<String> command, Duration timeout) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        scrubEnvironment(builder.environment());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new ClusterException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        // Drain output on another thread so a chatty child can never block on a full pipe.
        StringBuilder output = new StringBuilder();
        Thread drainer = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                output.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended; whatever was read is kept
            }
        }, "fortress-cluster-output");
        drainer.setDaemon(true);
        drainer.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new ClusterException("command did not finish within " + timeout.toSeconds() + " s: "
                        + String.join(" ", command));
            }
            drainer.join(5_000);
        } catch (InterruptedException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted while running " + command.get(0), e);
        }
        synchronized (output) {
            return new Result(process.exitValue(), output.toString());
        }
    }

    /**
     * Whether process {@code pid} exists and runs {@code program} (its name in /proc/PID/comm). A pid read from a pid
     * file of a server that has since died may belong to any other program by now (pids are reused, within minutes on
     * a busy machine with the default pid_max of 32768): signals go only to a process that is still what the file named.
     * Without procfs it cannot tell and answers true.
     */
    static boolean runs(long pid, String program) {
        if (!java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self"))) {
            return true;
        }
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "comm")).strip().equals(program);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Starts a helper that runs on its own (a watchdog), its output discarded, with a scrubbed environment. */
    static Process startInBackground(List<String> command, String what) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        scrubEnvironment(builder.environment());
        try {
            return builder.start();
        } catch (IOException e) {
            throw new ClusterException("cannot start the " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * True while the process exists and has not exited. A zombie (exited, not yet reaped) counts as
     * ended: server processes are re-parented to init once pg_ctl exits, and some inits reap late.
     */
    static boolean isAlive(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        char state = state(process.pid());
        return state == '?' ? process.isAlive() : state != 'Z';
    }

    /** The process's state letter in /proc/PID/stat (R running, S sleeping, T stopped, Z zombie, ...); '?' when unknown. */
    static char state(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            // the state follows the parenthesised command name, which may itself contain spaces or ')'
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException | RuntimeException e) {
            return '?';
        }
    }

    /**
     * Removes libpq variables (PGPORT, PGPASSWORD, ...) and every variable that names a password or secret
     * (DB_REPLICA_PASSWORD, ...) from a child's environment: the caller's settings must neither redirect
     * the cluster's own tools nor reach them, nor the servers, which may run as another OS user who could
     * read them in /proc.
     */
    static void scrubEnvironment(Map<String, String> environment) {
        environment.keySet().removeIf(name -> name.startsWith("PG") || name.contains("PASSWORD") || name.contains("SECRET"));
    }
}
