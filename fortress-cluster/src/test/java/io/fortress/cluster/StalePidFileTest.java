package io.fortress.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pid file left by a server or PgBouncer that was killed names a pid the kernel may since have given to
 * another program: the watchdogs that end a dead JVM's servers signal only a process that still runs
 * {@code postgres} (or {@code pgbouncer}), and neither does {@link ServerProcess}, which Node, PgBouncers and PatroniCluster
 * signal their servers through. Real processes stand in: {@code sleep} for the program that got the
 * pid, and a copy of {@code sleep} named {@code postgres} (or {@code pgbouncer}) for a server that still runs.
 */
class StalePidFileTest {
    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void endEverything() throws Exception {
        for (Process p : started) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theClusterWatchdogSignalsAServerButNotAProgramThatGotAStalePid() throws Exception {
        Process other = sleeper("sleep");
        Process server = sleeper("postgres");
        Path stale = dataDirectory("stale", other.pid());
        Path live = dataDirectory("live", server.pid());
        Process watchdog = start("/bin/sh", "-c", Watchdog.SERVERS_SCRIPT, "fortress-cluster-watchdog", Long.toString(deadPid()), "",
                stale.toString(), live.toString());
        assertThat(watchdog.waitFor(60, TimeUnit.SECONDS)).as("the watchdog of a JVM that is gone acts and exits").isTrue();
        assertThat(server.waitFor(10, TimeUnit.SECONDS)).as("the process running postgres was ended").isTrue();
        assertThat(other.isAlive()).as("the program that got the stale pid was left alone").isTrue();
        assertThat(Processes.runs(other.pid(), "sleep")).isTrue();
        assertThat(Processes.runs(other.pid(), "postgres")).isFalse();
    }

    @Test
    void thePgBouncerWatchdogSignalsAPgBouncerButNotAProgramThatGotAStalePid() throws Exception {
        Process other = sleeper("sleep");
        Process bouncer = sleeper("pgbouncer");
        Path stale = Files.writeString(tmp.resolve("stale.pid"), other.pid() + "\n");
        Path live = Files.writeString(tmp.resolve("live.pid"), bouncer.pid() + "\n");
        Process watchdog = start("/bin/sh", "-c", Watchdog.PGBOUNCERS_SCRIPT, "fortress-pgbouncer-watchdog", Long.toString(deadPid()),
                stale.toString(), live.toString());
        assertThat(watchdog.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(bouncer.waitFor(10, TimeUnit.SECONDS)).as("the process running pgbouncer was ended").isTrue();
        assertThat(other.isAlive()).as("the program that got the stale pid was left alone").isTrue();
    }

    @Test
    void aServerProcessFoundThroughAStalePidFileIsNeitherCountedNorSignalled() throws Exception {
        Process other = sleeper("sleep");
        ServerProcess stale = ServerProcess.postmaster("a server", dataDirectory("stale", other.pid()), tmp.resolve("stale.log"));
        assertThat(stale.pid()).as("the pid belongs to another program now").isEmpty();
        assertThat(stale.isAlive()).isFalse();
        assertThat(stale.processes()).isEmpty();
        assertThat(stale.freeze()).as("nothing to freeze").isFalse();
        stale.kill(false);
        assertThat(state(other.pid())).as("the program that got the stale pid was neither stopped nor killed").isNotIn('T', 'Z');
        assertThat(other.isAlive()).isTrue();

        Process server = sleeper("postgres");
        ServerProcess live = ServerProcess.postmaster("a server", dataDirectory("live", server.pid()), tmp.resolve("live.log"));
        assertThat(live.pid()).contains(server.pid());
        assertThat(live.freeze()).isTrue();
        assertThat(state(server.pid())).as("frozen: SIGSTOP").isEqualTo('T');
        live.thaw();
        assertThat(state(server.pid())).as("thawed: SIGCONT").isNotEqualTo('T');
        live.kill(false);
        assertThat(server.waitFor(10, TimeUnit.SECONDS)).as("killed").isTrue();
    }

    /** The state letter in /proc/PID/stat (T: stopped, Z: zombie), once a signal sent has taken effect. */
    private static char state(long pid) throws Exception {
        Thread.sleep(100);
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    /** {@code sleep 300} run under the given program name (a copy of the sleep binary), as its /proc/PID/comm shows. */
    private Process sleeper(String name) throws Exception {
        Path sleep = Path.of("/bin/sleep");
        if (!name.equals("sleep")) {
            Path dir = Files.createDirectories(tmp.resolve("bin-" + name));
            sleep = Files.copy(Path.of("/bin/sleep"), dir.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Process p = start(sleep.toString(), "300");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Processes.runs(p.pid(), name) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(Processes.runs(p.pid(), name)).as(name + " is running").isTrue();
        return p;
    }

    private Path dataDirectory(String name, long pid) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("postmaster.pid"), pid + "\n" + dir + "\n");
        return dir;
    }

    /** The pid of a process that has exited: the watchdog's JVM, gone. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("/bin/true").start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.pid();
    }

    private Process start(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }
}
