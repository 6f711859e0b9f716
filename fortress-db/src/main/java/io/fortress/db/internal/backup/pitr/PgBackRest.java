package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import io.fortress.db.internal.OutputLines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the {@code pgbackrest} program for one stanza: from an argument list (never a shell), as the OS
 * user owning the primary's data directory, with the configuration file and no secret in its
 * arguments, under a time limit. A failure says how the program ended: its exit code and pgBackRest's
 * own error line. Programs still running when the JVM shuts down are ended.
 */
public final class PgBackRest {
    private static final Pattern ERROR_LINE = Pattern.compile(".*ERROR: \\[(\\d{3})]: (.*)");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(PgBackRest::end), "fortress-pgbackrest-shutdown"));
    }

    private final PgBackRestSettings settings;
    private final Path executable;

    /** Runs {@code executable} (see {@link #locate()}) for the settings' stanza. */
    public PgBackRest(PgBackRestSettings settings, Path executable) {
        this.settings = settings;
        this.executable = Checks.path("the pgbackrest program", executable);
    }

    /**
     * The {@code pgbackrest} program on PATH or in /usr/bin.
     *
     * @throws BackupException naming the package to install when it is missing
     */
    public static Path locate() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.add("/usr/bin");
        for (String dir : dirs) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, "pgbackrest");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toAbsolutePath().normalize();
                }
            }
        }
        throw new BackupException("pgbackrest is not installed: install Debian's pgbackrest package (apt-get install pgbackrest)");
    }

    public PgBackRestSettings settings() {
        return settings;
    }

    public Path executable() {
        return executable;
    }

    /** The {@code archive_command} PostgreSQL runs for each finished WAL segment. */
    public String archiveCommand() {
        return executable + " --config=" + settings.configFile() + " --stanza=" + settings.stanza() + " archive-push %p";
    }

    /** Output of a command that succeeded. */
    public record Output(String stdout, List<String> stderr) {
    }

    /**
     * Runs {@code pgbackrest --config=F --stanza=S [options] command}.
     *
     * @param options further {@code --name=value} options (never a secret: they are visible to every local user)
     * @throws PgBackRestFailure when it exits with a non-zero code
     * @throws BackupException     when it cannot start, runs past {@code timeout}, or the thread is interrupted
     */
    public Output run(String command, List<String> options, Duration timeout) {
        Outcome outcome = execute(command, options, timeout);
        if (outcome.exitCode() != 0) {
            throw failure(command, outcome.exitCode(), outcome.stderr(), outcome.stdout());
        }
        return new Output(outcome.stdout(), outcome.stderr());
    }

    /** How a command ended, whatever its exit code (for commands such as verify whose report is the output either way). */
    record Outcome(int exitCode, String stdout, List<String> stderr) {
    }

    /**
     * Runs the command like {@link #run} but returns its outcome on any exit code.
     *
     * @throws BackupException when it cannot start, runs past {@code timeout}, or the thread is interrupted
     */
    Outcome execute(String command, List<String> options, Duration timeout) {
        List<String> argv = new ArrayList<>(List.of(executable.toString(), "--config=" + settings.configFile(), "--stanza=" + settings.stanza()));
        argv.addAll(options);
        argv.add(command);
        // the data directory's owner now: it may have been created, or restored, after this object
        ProcessBuilder builder = new ProcessBuilder(OsUser.of(settings).wrap(argv));
        Map<String, String> env = builder.environment();
        // inherited libpq and pgBackRest variables must not redirect the command, and no password belongs there
        env.keySet().removeIf(n -> n.startsWith("PG") || n.contains("PASSWORD") || n.contains("SECRET"));
        env.put("LC_ALL", "C");
        settings.connectHost().ifPresent(h -> env.put("PGHOST", h));
        settings.passFile().ifPresent(f -> env.put("PGPASSFILE", f.toString()));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new BackupException("cannot run " + executable + ": " + e.getMessage(), e);
        }
        LIVE.add(process);
        try {
            process.getOutputStream().close();
            StringBuilder stdout = new StringBuilder();
            List<String> stderr = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread out = OutputLines.drain(process.getInputStream(), "fortress-pgbackrest-output", line -> stdout.append(line).append('\n'));
            Thread err = OutputLines.drain(process.getErrorStream(), "fortress-pgbackrest-output", stderr::add);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                end(process);
                throw new BackupException("pgbackrest " + command + " did not finish within " + io.fortress.db.api.Durations.format(timeout)
                        + " and was ended by fortress" + tail(stderr));
            }
            out.join(10_000);
            err.join(10_000);
            return new Outcome(process.exitValue(), stdout.toString(), List.copyOf(stderr));
        } catch (InterruptedException e) {
            end(process);
            Thread.currentThread().interrupt();
            throw new BackupException("pgbackrest " + command + " was cancelled (its thread was interrupted) and ended by fortress", e);
        } catch (IOException e) {
            end(process);
            throw new BackupException("cannot talk to pgbackrest: " + e.getMessage(), e);
        } finally {
            LIVE.remove(process);
        }
    }

    private PgBackRestFailure failure(String command, int exit, List<String> stderr, String stdout) {
        List<String> lines = new ArrayList<>(stderr);
        lines.addAll(List.of(stdout.split("\n")));
        Integer code = null;
        String error = null;
        for (String line : lines) {
            Matcher m = ERROR_LINE.matcher(line);
            if (m.matches() && error == null) {
                code = Integer.valueOf(m.group(1));
                error = "ERROR: [" + m.group(1) + "]: " + m.group(2);
            }
        }
        String how = exit > 128 && exit <= 192 ? "was stopped by signal " + (exit - 128) : "failed with exit code " + exit;
        String message = "pgbackrest " + command + " for stanza " + settings.stanza() + " " + how
                + (error != null ? ": " + error : tail(stderr)) + advice(code);
        return new PgBackRestFailure(command, exit, code, redact(message));
    }

    /** What to do about the errors an operator meets most. */
    private static String advice(Integer code) {
        if (code == null) {
            return "";
        }
        return switch (code) {
            case 50 -> " (another pgbackrest process holds the stanza's lock: a running backup, or an asynchronous archive-push "
                    + "retrying a repository that fails; fix the repository or wait, then retry)";
            case 55 -> " (the stanza or its repository is missing or unreadable: run stanza-create, or check the repository path)";
            case 62 -> " (pgbackrest stop was run for this stanza: run pgbackrest start when the cause is fixed)";
            case 82 -> " (WAL did not reach the archive in time: check archive_command, pg_stat_archiver and the repository)";
            default -> "";
        };
    }

    private String tail(List<String> lines) {
        synchronized (lines) {
            List<String> last = lines.subList(Math.max(0, lines.size() - 5), lines.size());
            return last.isEmpty() ? "" : "; its last lines:\n" + redact(String.join("\n", last));
        }
    }

    /** Removes every secret of the settings from text that will be shown; pgBackRest does not print them, this makes sure. */
    private String redact(String text) {
        String result = text;
        for (io.fortress.db.api.Secret secret : secrets()) {
            if (!secret.isEmpty()) {
                result = result.replace(secret.reveal(), "<redacted>");
            }
        }
        return result;
    }

    private List<io.fortress.db.api.Secret> secrets() {
        List<io.fortress.db.api.Secret> all = new ArrayList<>();
        settings.localRepository().cipherPass().ifPresent(all::add);
        settings.s3Repository().ifPresent(s3 -> all.addAll(List.of(s3.accessKey(), s3.secretKey(), s3.cipherPass())));
        return all;
    }

    /** Ends the program and the workers it started (process-max): SIGTERM to all, then SIGKILL to whatever is left after 10 s. */
    private static void end(Process process) {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList()); // before they are re-parented
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (all.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            ArchiveMonitor.sleep(50);
        }
        all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
