package io.fortress.db.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.api.HostAndPort;
import io.fortress.db.internal.pool.Topology;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How Patroni's GET /cluster becomes primary candidates and replicas: no database, no Patroni. */
class PatroniWatchTest {
    private static final String CLUSTER = """
            {"members": [
              {"name": "a", "role": "replica", "state": "running", "host": "127.0.0.1", "port": 5001, "timeline": 3, "lag": 0},
              {"name": "b", "role": "leader", "state": "running", "host": "127.0.0.1", "port": 5002, "timeline": 3},
              {"name": "c", "role": "sync_standby", "state": "running", "host": "127.0.0.1", "port": 5003, "timeline": 3, "lag": 1024,
               "tags": {"nofailover": true}},
              {"name": "d", "role": "replica", "state": "streaming", "host": "127.0.0.1", "port": 5004, "timeline": 3, "lag": "unknown",
               "tags": {"noloadbalance": true}},
              {"name": "e", "role": "replica", "state": "starting"}
            ]}""";

    private static PatroniWatch.View view(String body) throws Exception {
        return new PatroniWatch.View(PatroniWatch.parse(body), URI.create("http://127.0.0.1:8008"), Instant.now());
    }

    private static Topology.Member member(String name, int port) {
        return new Topology.Member(name, new HostAndPort("127.0.0.1", port));
    }

    @Test
    void theLeaderComesFirstNoFailoverIsNeverACandidateNoLoadBalanceNeverAReplica() throws Exception {
        PatroniWatch.View v = view(CLUSTER);
        assertThat(v.members()).extracting(PatroniWatch.Member::name).as("a member without an address yet is left out")
                .containsExactly("a", "b", "c", "d");
        assertThat(v.leader().orElseThrow().name()).isEqualTo("b");
        assertThat(v.candidates()).containsExactly(member("b", 5002), member("a", 5001), member("d", 5004));
        assertThat(v.replicas()).containsExactly(member("a", 5001), member("c", 5003));
    }

    @Test
    void lagAndTimelineAreKeptWhenPatroniKnowsThem() throws Exception {
        List<PatroniWatch.Member> members = view(CLUSTER).members();
        assertThat(members.get(2).lagBytes()).isEqualTo(1024L);
        assertThat(members.get(3).lagBytes()).as("\"unknown\" is no number").isNull();
        assertThat(members.get(1).lagBytes()).isNull();
        assertThat(members.get(1).timeline()).isEqualTo(3L);
    }

    @Test
    void withoutALeaderEveryMemberThatMayFailOverIsACandidate() throws Exception {
        PatroniWatch.View v = view(CLUSTER.replace("\"role\": \"leader\"", "\"role\": \"replica\""));
        assertThat(v.leader()).isEmpty();
        assertThat(v.candidates()).containsExactly(member("a", 5001), member("b", 5002), member("d", 5004));
    }

    @Test
    void aStandbyLeaderLeadsToo() throws Exception {
        assertThat(view(CLUSTER.replace("\"role\": \"leader\"", "\"role\": \"standby_leader\"")).leader().orElseThrow().name())
                .isEqualTo("b");
    }
}
