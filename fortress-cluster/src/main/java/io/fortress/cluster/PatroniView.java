package io.fortress.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;

/**
 * A {@link PatroniCluster} as it looks from outside: its members as Patroni's REST API lists them, superuser
 * connections to their servers, and waiting until a leader runs and every other member streams from it.
 */
final class PatroniView {
    private final PatroniRest rest;
    private final PatroniProcesses processes;
    private final String password;

    PatroniView(PatroniRest rest, PatroniProcesses processes, String password) {
        this.rest = rest;
        this.processes = processes;
        this.password = password;
    }

    List<PatroniCluster.Member> members() {
        return rest.members(processes.members.stream().map(PatroniMember::restUrl).toList());
    }

    /** The member Patroni lists as the leader now; null when there is none or no agent answers. */
    String leaderIfAny() {
        try {
            return members().stream().filter(PatroniCluster.Member::isLeader).map(PatroniCluster.Member::name).findFirst().orElse(null);
        } catch (ClusterException noneAnswers) {
            return null;
        }
    }

    /** Waits for a running member that matches and returns it as listed then. */
    PatroniCluster.Member awaitMember(Predicate<PatroniCluster.Member> condition, String what, Duration timeout) {
        PatroniCluster.Member[] found = new PatroniCluster.Member[1];
        Poll.require(what, timeout, () -> {
            try {
                found[0] = members().stream().filter(m -> "running".equals(m.state()) && condition.test(m)).findFirst().orElse(null);
            } catch (ClusterException e) {
                found[0] = null;
            }
            return found[0] != null;
        });
        return found[0];
    }

    /**
     * Waits until Patroni lists a running leader and every other member running, and every other member streams from
     * the leader (one {@code pg_stat_replication} row each) with nothing left to replay. {@code agentsMustRun}: fails
     * at once when an agent has exited (e.g. on a bad configuration).
     */
    void awaitStreaming(Duration timeout, boolean agentsMustRun) {
        int others = processes.members.size() - 1;
        Poll.require("every member to stream from the leader", timeout, () -> {
            if (agentsMustRun) {
                processes.requireAgentsRun();
            }
            try {
                List<PatroniCluster.Member> listed = members();
                Optional<PatroniCluster.Member> leader = listed.stream().filter(m -> m.isLeader() && "running".equals(m.state())).findFirst();
                // Patroni's own view too: a member it still lists as starting is not there yet for patronictl or fortress
                if (leader.isEmpty() || listed.size() <= others
                        || !listed.stream().allMatch(m -> "running".equals(m.state()) || "streaming".equals(m.state()))) {
                    return false;
                }
                try (Connection c = connect(leader.get().name(), "postgres"); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE state = 'streaming' AND replay_lsn = pg_current_wal_lsn()) "
                             + "FROM pg_stat_replication")) {
                    rs.next();
                    return rs.getInt(1) == others;
                }
            } catch (ClusterException | SQLException e) {
                return false;
            }
        });
    }

    /** A superuser connection to a member's server and the given database. */
    Connection connect(String member, String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "5");
        p.setProperty("loginTimeout", "5");
        p.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://" + Node.HOST + ":" + processes.member(member).pgPort + "/" + database, p);
    }
}
