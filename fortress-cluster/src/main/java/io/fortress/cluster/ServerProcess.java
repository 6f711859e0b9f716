package io.fortress.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongPredicate;

/**
 * One long-running process of a cluster (a postmaster, a PgBouncer, a Patroni agent, etcd), found through its pid
 * file: its pid, its descendants, signals, freeze and thaw, and the tail of its log. A pid file outlives its
 * process and the kernel reuses pids (within minutes on a busy machine with the default pid_max of 32768), so a
 * pid counts only while its process is still what the file named: the program in /proc/PID/comm, or a marker in
 * /proc/PID/cmdline. Nothing is ever signalled otherwise.
 */
final class ServerProcess {
    private final String name;
    private final Path pidFile;
    private final Path logFile;
    private final LongPredicate identity;
    /** The process as this JVM started it: until it has exec'd, its comm and cmdline are not yet the program's. */
    private volatile ProcessHandle launched;

    private ServerProcess(String name, Path pidFile, Path logFile, LongPredicate identity) {
        this.name = name;
        this.pidFile = pidFile;
        this.logFile = logFile;
        this.identity = identity;
    }

    /** The postmaster of {@code dataDirectory}, as its postmaster.pid names it. */
    static ServerProcess postmaster(String name, Path dataDirectory, Path logFile) {
        return program(name, dataDirectory.resolve("postmaster.pid"), logFile, "postgres");
    }

    /** A process whose /proc/PID/comm is {@code program}. */
    static ServerProcess program(String name, Path pidFile, Path logFile, String program) {
        return new ServerProcess(name, pidFile, logFile, pid -> Processes.runs(pid, program));
    }

    /** A process whose command line names {@code marker} (a script run by an interpreter: its comm says little). */
    static ServerProcess commandLine(String name, Path pidFile, Path logFile, String marker) {
        return new ServerProcess(name, pidFile, logFile, pid -> commandLineOf(pid).contains(marker));
    }

    String name() {
        return name;
    }

    Path pidFile() {
        return pidFile;
    }

    Path logFile() {
        return logFile;
    }

    /** The pid the file names (its first line), 0 when there is none, whether or not that process runs. */
    long recordedPid() {
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            return lines.isEmpty() ? 0 : Long.parseLong(lines.get(0).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** The pid, while a process of that pid exists and is still this one. */
    Optional<Long> pid() {
        ProcessHandle own = launched;
        if (own != null && own.pid() == recordedPid()) {
            return Optional.of(own.pid());
        }
        long pid = recordedPid();
        return pid > 0 && identity.test(pid) ? Optional.of(pid) : Optional.empty();
    }

    /** The process while it runs (a zombie counts as ended). */
    Optional<ProcessHandle> handle() {
        return pid().flatMap(ProcessHandle::of).filter(Processes::isAlive);
    }

    boolean isAlive() {
        return handle().isPresent();
    }

    /** True when a pid file was written but its process has ended (e.g. an agent that exited on a bad configuration). */
    boolean hasExited() {
        return Files.exists(pidFile) && !isAlive();
    }

    /** The process first (so it forks nothing meanwhile), then its descendants; empty when it does not run. */
    List<ProcessHandle> processes() {
        Optional<ProcessHandle> main = handle();
        if (main.isEmpty()) {
            return List.of();
        }
        List<ProcessHandle> all = new ArrayList<>();
        all.add(main.get());
        all.addAll(main.get().descendants().toList());
        return all;
    }

    /** Sends {@code signal} (STOP, CONT, HUP, ...) to the process and its descendants; false when it does not run. */
    boolean signalAll(String signal) {
        return signal(signal, processes());
    }

    /** Sends {@code signal} to the process alone; false when it does not run. */
    boolean signal(String signal) {
        return signal(signal, handle().stream().toList());
    }

    private static boolean signal(String signal, List<ProcessHandle> processes) {
        if (processes.isEmpty()) {
            return false;
        }
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        processes.forEach(p -> command.add(Long.toString(p.pid())));
        // a process that ended meanwhile makes kill exit 1; the others were still signalled
        Processes.run(command, Duration.ofSeconds(30));
        return true;
    }

    /**
     * SIGSTOP to the process and its descendants, as a hung machine: TCP is still accepted, nothing answers. Returns
     * once they show as stopped; false when it does not run.
     */
    boolean freeze() {
        List<ProcessHandle> all = processes();
        if (!signal("STOP", all)) {
            return false;
        }
        // a signal reaches a process running on another CPU a moment later: frozen means stopped when this returns
        Poll.await(Duration.ofSeconds(5), 2, () -> all.stream().allMatch(p -> "TtZX?".indexOf(Processes.state(p.pid())) >= 0));
        return true;
    }

    /** SIGCONT to the process and its descendants. */
    void thaw() {
        signalAll("CONT");
    }

    /**
     * SIGKILL to the descendants and the process, as a crash would; returns once all have exited, and with
     * {@code awaitReaped} once the process's pid is gone too (a new postmaster refuses to start while the old pid
     * still exists, even as a zombie).
     */
    void kill(boolean awaitReaped) {
        Optional<ProcessHandle> main = pid().flatMap(ProcessHandle::of);
        if (main.isEmpty()) {
            return;
        }
        List<ProcessHandle> all = new ArrayList<>(main.get().descendants().toList());
        all.add(main.get());
        all.forEach(ProcessHandle::destroyForcibly);
        if (!awaitExit(all, Duration.ofSeconds(30))) {
            throw new ClusterException("a process of " + name + " did not exit after SIGKILL");
        }
        if (awaitReaped) {
            Poll.await(Duration.ofSeconds(30), 20, () -> !main.get().isAlive());
        }
    }

    /** SIGKILL to the process alone (not its descendants); returns once it has exited. */
    void killAlone() {
        Optional<ProcessHandle> main = handle();
        main.ifPresent(ProcessHandle::destroyForcibly);
        if (main.isPresent() && !awaitExit(List.of(main.get()), Duration.ofSeconds(30))) {
            throw new ClusterException(name + " did not exit after SIGKILL");
        }
    }

    /**
     * Ends the process: SIGCONT (a frozen one must run to act), SIGTERM, and SIGKILL when it has not exited within
     * {@code grace}; returns once it has exited.
     */
    void terminate(Duration grace) {
        Optional<ProcessHandle> main = handle();
        if (main.isEmpty()) {
            return;
        }
        signal("CONT", List.of(main.get()));
        main.get().destroy();
        if (!awaitExit(List.of(main.get()), grace)) {
            main.get().destroyForcibly();
            awaitExit(List.of(main.get()), Duration.ofSeconds(10));
        }
    }

    /**
     * Waits for processes that need not be children of this JVM; polls, because ProcessHandle.onExit() polls such
     * processes with sleeps of 300 ms and more. False when one still runs after {@code timeout}.
     */
    static boolean awaitExit(List<ProcessHandle> processes, Duration timeout) {
        return Poll.await(timeout, 10, () -> processes.stream().noneMatch(Processes::isAlive));
    }

    /**
     * Starts the process: its output appended to the log, its pid written to the pid file, stdin from /dev/null and an
     * environment without libpq variables or secrets ({@code HOME} set to {@code home}). In a session of its own
     * ({@code setsid}, which execs in place: the pid is the process's own), nothing of this JVM's ending (a hang-up, a
     * signal to its process group) reaches it.
     */
    void launch(List<String> command, boolean ownSession, Path home) {
        List<String> full = new ArrayList<>();
        if (ownSession) {
            full.add("setsid");
        }
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        Processes.scrubEnvironment(builder.environment());
        builder.environment().put("HOME", home.toString());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new ClusterException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        launched = process.toHandle();
        ClusterFiles.write(pidFile, process.pid() + "\n", "rw-r--r--", null);
    }

    /** Deletes the pid file and forgets the process (after it has been stopped). */
    void forget() {
        launched = null;
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            // a pid file left behind names no process of this program for long: pid() checks what runs
        }
    }

    /** The last {@code lines} lines of the log, for error messages. */
    String logTail(int lines) {
        return tail(logFile, lines);
    }

    /** The last {@code lines} lines of a log file, or a note that there is none. */
    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    private static String commandLineOf(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
