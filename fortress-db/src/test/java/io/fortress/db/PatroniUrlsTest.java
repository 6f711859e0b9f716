package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.PatroniCluster;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;
import io.fortress.db.api.RowMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * docs/ha.md: DB_PATRONI_URL may list several REST APIs, and fortress asks the next when one does not
 * answer. Here the first accepts TCP and never answers, and later the second goes away too.
 */
@RequiresTool({Tool.PATRONI, Tool.ETCD})
class PatroniUrlsTest {
    private static final RowMapper<Integer> PORT = RowMapper.column(1, Integer.class);
    private PatroniCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aSilentFirstUrlAndThenALostSecondOneDoNotBlindFortressToPatroni() throws Exception {
        cluster = PatroniCluster.builder().members(2).start();
        // a listener whose backlog completes the TCP handshake while nobody ever reads or answers: a hung REST API
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String first = cluster.leader().name();
            String second = cluster.memberNames().stream().filter(n -> !n.equals(first)).findFirst().orElseThrow();
            DbConfig config = DbConfig.builder()
                    .patroniUrls("http://127.0.0.1:" + silent.getLocalPort(), cluster.restUrl(first), cluster.restUrl(second))
                    .user(cluster.user()).password(cluster.password()).database(cluster.database())
                    .connectTimeout(Duration.ofSeconds(3)).healthInterval(Duration.ofSeconds(2)).healthTimeout(Duration.ofSeconds(2))
                    .build();
            try (Database db = Database.open(config)) {
                assertThat(db.healthChecker().status().primary().name()).as("the primary, as Patroni named it").isEqualTo(first);
                assertThat(db.healthChecker().status().replicas()).extracting(NodeHealth::name).containsExactly(second);
                db.exec("CREATE TABLE urls(id int)");
                assertThat(db.queryOne(Consistency.strong(), "SELECT inet_server_port()", PORT)).contains(cluster.port(first));

                // a switchover is followed: the rounds go on reading Patroni's view past the silent URL
                cluster.switchover(second);
                await().atMost(Duration.ofSeconds(90)).until(() -> db.healthChecker().status().primary().name().equals(second)
                        && db.healthChecker().status().primary().state() == NodeState.UP);
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> db.exec("INSERT INTO urls VALUES (1)") == 1);
                assertThat(db.queryOne(Consistency.strong(), "SELECT inet_server_port()", PORT)).contains(cluster.port(second));

                // the second URL's agent dies as well (its server keeps running): only the third answers now. Patroni
                // drops the member once its key expires, which fortress can learn only from the third URL
                cluster.stopAgent(first);
                await().atMost(Duration.ofSeconds(90)).until(() -> db.nodes().stream().noneMatch(n -> n.name().equals(first)));
                assertThat(db.healthChecker().status().primary().name()).isEqualTo(second);
                assertThat(db.exec("INSERT INTO urls VALUES (2)")).isEqualTo(1);
            }
        }
    }
}
