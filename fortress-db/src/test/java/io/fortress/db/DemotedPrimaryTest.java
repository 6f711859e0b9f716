package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.NodeState;
import io.fortress.db.api.RowMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The configured primary comes back as a standby after a switchover (stopped, a replica promoted, then
 * started following it): fortress reports it DEMOTED, retires the session its pool opened to it before it
 * knew, and fails writes at once. The test breaks its own cluster.
 */
class DemotedPrimaryTest {
    private static final String APPLICATION = "demoted-primary-test";
    private LocalCluster cluster;

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    @Test
    void theOldPrimaryBackReadOnlyIsDemotedItsConnectionsRetiredAndWritesFailFast() throws Exception {
        cluster = LocalCluster.builder().replicas(2).start();
        Node old = cluster.primary();
        Node promoted = cluster.replica(1);
        old.execute("CREATE TABLE w(id int)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        // DB_HOST names only the old primary, so nothing moves writes away from it. A slow fall (30 checks 2 s apart)
        // keeps it UP through the switchover's restart, however slow the machine: what finds it DEMOTED is the write below
        DbConfig config = TestDatabases.config(cluster).replicaHosts(List.of(cluster.replica(2).address()))
                .applicationName(APPLICATION).maxOpenConns(4).maxIdleConns(2).healthFall(30).healthFastInterval(Duration.ofSeconds(2))
                .build();
        try (Database db = Database.open(config)) {
            assertThat(db.exec("INSERT INTO w VALUES (1)")).isEqualTo(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> poolSessionStarts(old).size() >= 2); // minIdle: it refills what closes

            // a switchover: the old primary stops cleanly, replica 1 is promoted, the old primary follows it
            old.execute("ALTER SYSTEM SET primary_conninfo = '" + conninfo(promoted).replace("'", "''") + "'");
            old.execute("ALTER SYSTEM SET primary_slot_name = ''");
            old.stop();
            promoted.promote();
            Files.writeString(old.dataDirectory().resolve("standby.signal"), "");
            old.start();
            assertThat(old.queryValue("SELECT pg_is_in_recovery()")).as("the old primary is a standby now").isEqualTo("t");

            // a session the pool opens to the node before the checker knows (the ones it had died with the restart),
            // borrowed for a framework: in use while the node is found DEMOTED
            assertThat(db.nodes().get(0).state()).as("the old primary, not yet known to be a standby").isEqualTo(NodeState.UP);
            String pid;
            try (Connection held = db.primaryDataSource().getConnection()) {
                pid = value(held, "SELECT pg_backend_pid()");
                assertThat(value(held, "SELECT pg_is_in_recovery()")).as("the borrowed session is on the standby").isEqualTo("t");
                long refused = System.nanoTime();
                assertThatThrownBy(() -> db.exec("INSERT INTO w VALUES (2)")).isInstanceOf(DatabaseUnavailableException.class)
                        .hasMessageContaining("25006").hasMessageContaining("demoted");
                await().atMost(Duration.ofSeconds(20)).until(() -> db.nodes().get(0).state() == NodeState.DEMOTED);
                assertThat(Duration.ofNanos(System.nanoTime() - refused)).as("DEMOTED after the refused write, not after 30 bad checks")
                        .isLessThan(Duration.ofSeconds(20));
            } // given back after the node was found DEMOTED: retired, not pooled again
            assertThat(db.nodes().get(0).reason()).contains("in recovery");
            assertThat(db.healthChecker().isHealthy()).isFalse();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(poolSessionStarts(old))
                    .as("the pool's sessions on the DEMOTED node").doesNotContainKey(pid));

            long writeStart = System.nanoTime();
            assertThatThrownBy(() -> db.exec("INSERT INTO w VALUES (3)")).isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("is DEMOTED since");
            assertThat(Duration.ofNanos(System.nanoTime() - writeStart)).as("a write while the primary is known DEMOTED")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(db.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)))
                    .as("default reads go on, on the replica").contains(cluster.replica(2).port());
        }
    }

    /** The backend start of each of the Database's pooled sessions on the node, by pid. */
    private static Map<String, Instant> poolSessionStarts(Node node) {
        String rows = node.queryValue("SELECT coalesce(string_agg(pid || '=' || to_char(backend_start AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), ','), '') FROM pg_stat_activity WHERE application_name = '" + APPLICATION + "'");
        Map<String, Instant> starts = new HashMap<>();
        if (!rows.isEmpty()) {
            for (String row : rows.split(",")) {
                starts.put(row.substring(0, row.indexOf('=')), Instant.parse(row.substring(row.indexOf('=') + 1)));
            }
        }
        return starts;
    }

    private static String value(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private String conninfo(Node upstream) {
        return "host=" + Node.HOST + " port=" + upstream.port() + " user=" + cluster.superuser() + " passfile=" + cluster.pgpassFile();
    }
}
