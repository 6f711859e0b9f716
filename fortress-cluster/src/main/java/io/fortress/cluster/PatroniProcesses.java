package io.fortress.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    /** The processes of a new cluster ({@code member-1}, ...) on free ports; nothing is started. */
    static PatroniProcesses create(Path root, int count, Map<String, Map<String, Object>> tags, boolean detached, ServerUser user) {
        Etcd etcd = new Etcd(root, Loopback.freePort(), Loopback.freePort());
        List<PatroniMember> members = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String name = "member-" + i;
            members.add(new PatroniMember(name, root, tags.getOrDefault(name, Map.of()), Loopback.freePort(), Loopback.freePort()));
        }
        return new PatroniProcesses(root, etcd, members, detached, user);
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

    /**
     * Starts what does not run: etcd, then the member that led last ({@code lastLeader}, which has the newest WAL)
     * when every agent is down, waiting until it leads again before the others come, then the others.
     *
     * @return false when everything already ran
     */
    boolean startStopped(PatroniRest rest, PatroniView view, String lastLeader, Duration timeout) {
        boolean startedSomething = false;
        if (!etcd.process.isAlive()) {
            startEtcd(rest);
            startedSomething = true;
        }
        List<PatroniMember> stopped = members.stream().filter(m -> !m.agent.isAlive()).toList();
        Optional<PatroniMember> first = stopped.stream().filter(m -> m.name.equals(lastLeader)).findFirst();
        if (first.isPresent() && stopped.size() == members.size()) {
            startAgent(first.get());
            view.awaitMember(m -> m.isLeader() && m.name().equals(lastLeader), lastLeader + " to lead again", timeout);
        }
        for (PatroniMember m : stopped) {
            if (!m.agent.isAlive()) {
                startAgent(m);
            }
        }
        return startedSomething || !stopped.isEmpty();
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
            sb.append("\n--- ").append(m.name).append(" (").append(m.agent.logFile()).append(")\n").append(m.agent.logTail(40)).append('\n');
        }
        return sb.toString();
    }
}
