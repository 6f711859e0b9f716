package io.fortress.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A shell that waits for this JVM to exit and then ends what it started (servers, PgBouncers, a Patroni cluster),
 * so that nothing outlives a JVM that was killed. A pid file left by a process that died names a pid the kernel
 * may since have given to any other program (a pg_dump, say): each script signals only a process that is still
 * what the file named. A normal stop kills the watchdog instead.
 */
final class Watchdog {
    /** {@code sh -c SERVERS_SCRIPT name JVM_PID CLEANUP_DIR DATA_DIR...}: SIGQUIT (an immediate shutdown), then SIGKILL. */
    static final String SERVERS_SCRIPT = """
            jvm=$1; cleanup=$2; shift 2
            while kill -0 "$jvm" 2>/dev/null; do sleep 1; done
            is_postgres() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = postgres ]; }
            for d in "$@"; do
              [ -f "$d/postmaster.pid" ] || continue
              pm=$(head -n 1 "$d/postmaster.pid")
              is_postgres "$pm" || continue
              # a frozen node (SIGSTOP) must run again to act on SIGQUIT
              kill -CONT "$pm" $(pgrep -P "$pm" 2>/dev/null) 2>/dev/null
              kill -QUIT "$pm" 2>/dev/null
            done
            sleep 3
            for d in "$@"; do
              [ -f "$d/postmaster.pid" ] || continue
              pm=$(head -n 1 "$d/postmaster.pid")
              is_postgres "$pm" && kill -KILL "$pm" 2>/dev/null
            done
            [ -n "$cleanup" ] && rm -rf -- "$cleanup"
            exit 0
            """;

    /** {@code sh -c PGBOUNCERS_SCRIPT name JVM_PID PID_FILE...}: SIGTERM to each PgBouncer, thawed first. */
    static final String PGBOUNCERS_SCRIPT = """
            jvm=$1; shift
            while kill -0 "$jvm" 2>/dev/null; do sleep 1; done
            for f in "$@"; do
              [ -f "$f" ] || continue
              p=$(cat "$f")
              [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pgbouncer ] || continue
              kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null
            done
            exit 0
            """;

    /**
     * {@code sh -c PATRONI_SCRIPT name JVM_PID ROOT}: the agents (SIGTERM: each stops its server; SIGKILL after
     * 20 s), any server left (thawed first), etcd, then the folder is deleted. An agent or etcd counts while its
     * command line names the folder, a server while it runs {@code postgres}.
     */
    static final String PATRONI_SCRIPT = """
            jvm=$1; root=$2
            while kill -0 "$jvm" 2>/dev/null; do sleep 1; done
            ours() { grep -qF -- "$root" "/proc/$1/cmdline" 2>/dev/null; }
            agents() { for f in "$root"/member-*.pid; do [ -f "$f" ] && p=$(head -n 1 "$f") && ours "$p" && echo "$p"; done; }
            running() { for p in $(agents); do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
            kill -TERM $(agents) 2>/dev/null
            i=0
            while [ $i -lt 20 ] && running; do sleep 1; i=$((i+1)); done
            kill -KILL $(agents) 2>/dev/null
            for d in "$root"/member-*; do
              [ -f "$d/postmaster.pid" ] || continue
              pm=$(head -n 1 "$d/postmaster.pid")
              [ "$(cat "/proc/$pm/comm" 2>/dev/null)" = postgres ] || continue
              kill -CONT "$pm" $(pgrep -P "$pm" 2>/dev/null) 2>/dev/null
              kill -KILL "$pm" $(pgrep -P "$pm" 2>/dev/null) 2>/dev/null
            done
            if [ -f "$root/etcd.pid" ]; then
              etcd=$(head -n 1 "$root/etcd.pid")
              if ours "$etcd"; then kill -TERM "$etcd" 2>/dev/null; sleep 2; kill -KILL "$etcd" 2>/dev/null; fi
            fi
            rm -rf -- "$root"
            exit 0
            """;

    private final Process process;

    private Watchdog(Process process) {
        this.process = process;
    }

    /** Starts {@code script} with this JVM's pid and then {@code arguments}; {@code name} is its $0, as ps shows it. */
    static Watchdog start(String script, String name, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", script, name, Long.toString(ProcessHandle.current().pid())));
        command.addAll(arguments);
        return new Watchdog(Processes.startInBackground(command, name));
    }

    /** Kills the watchdog (its JVM stops what it started itself) and waits briefly for it to go. */
    void stop() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
