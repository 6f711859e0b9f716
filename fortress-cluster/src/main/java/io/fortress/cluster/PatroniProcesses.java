package io.fortress.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The processes of a {@link PatroniCluster}: etcd, and each member's Patroni agent and the server it runs. Each is
 * found through its pid file, so a later JVM finds a detached cluster's processes again; started detached, they run
 * in sessions of their own and outlive this JVM.
 */
final class PatroniProcesses {
    final Etcd etcd;
    final List<PatroniMember> members;
    private final Path root;
    private final boolean detached;
    private final ServerUser user;

    PatroniProcesses(Path root, Etcd etcd, List<PatroniMember> members, boolean detached, ServerUser user) {
        this.root = root;
        this.etcd = etcd;
        this.members = List.copyOf(members);
        this.detached = detached;
        this.user = user;
    }

    PatroniMember member(String name) {
        return members.stream().filter(m -> m.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no member " + name + "; members are " + names()));
    }

    List<String> names() {
        return members.stream().map(m -> m.name).toList();
    }

    void startEtcd(PatroniRest rest) {
        etcd.start(user, detached, root, rest);
    }

    /** Starts a member's agent as the server user, its output appended to its log. */
    void startAgent(PatroniMember m) {
        m.agent.launch(user.exec(List.of("patroni", m.config.toString())), detached, root);
    }

    /** Fails when an agent this cluster started has exited (e.g. on a bad configuration). */
    void requireAgentsRun() {
        for (PatroniMember m : members) {
            if (m.agent.hasExited()) {
                throw new ClusterException("the Patroni agent of " + m.name + " exited");
            }
        }
    }

    /** etcd, then every agent, each with its pid (0 when it never ran) and whether it runs now. */
    List<PatroniCluster.Daemon> daemons() {
        List<PatroniCluster.Daemon> daemons = new ArrayList<>();
        daemons.add(new PatroniCluster.Daemon("etcd", etcd.process.recordedPid(), etcd.process.isAlive()));
        members.forEach(m -> daemons.add(new PatroniCluster.Daemon(m.name, m.agent.recordedPid(), m.agent.isAlive())));
        return daemons;
    }

    /** True while etcd or any agent, or a server an agent left behind, runs. */
    boolean isAnyRunning() {
        return daemons().stream().anyMatch(PatroniCluster.Daemon::running) || members.stream().anyMatch(m -> m.postmaster.isAlive());
    }

    /**
     * Stops the agents (SIGTERM: each stops its server; {@code leader}, if any, last, so that no replica takes over
     * while the others stop), then what is left: servers whose agent was killed, frozen ones, etcd; removes the pid files.
     */
    void stopAll(String leader) {
        members.forEach(m -> m.postmaster.thaw());
        List<PatroniMember> followers = members.stream().filter(m -> !m.name.equals(leader)).toList();
        followers.forEach(m -> m.agent.signal("TERM")); // all at once: each agent stops its server meanwhile
        followers.forEach(m -> m.agent.terminate(Duration.ofSeconds(30)));
        members.stream().filter(m -> m.name.equals(leader)).forEach(m -> m.agent.terminate(Duration.ofSeconds(30)));
        for (PatroniMember m : members) {
            m.postmaster.kill(false);
            m.agent.forget();
        }
        etcd.process.terminate(Duration.ofSeconds(10));
        etcd.process.forget();
    }

    /** The last lines of every member's log, for messages when something does not come up. */
    String logTails() {
        StringBuilder sb = new StringBuilder();
        for (PatroniMember m : members) {
            sb.append("\n--- ").append(m.name).append(" (").append(m.agent.logFile()).append(")\n").append(m.agent.logTail(15)).append('\n');
        }
        return sb.toString();
    }
}
