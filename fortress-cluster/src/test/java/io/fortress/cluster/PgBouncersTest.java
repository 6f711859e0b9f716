package io.fortress.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Real PgBouncers in front of a real cluster: every node reached through its own, in transaction pooling. */
@RequiresTool(Tool.PGBOUNCER)
class PgBouncersTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(1);

    private static String value(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void eachNodeIsReachedThroughItsOwnPgBouncerInTransactionPooling() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        try (PgBouncers bouncers = PgBouncers.start(cluster, 2, false)) {
            assertThat(bouncers.fronts()).hasSize(2);
            assertThat(bouncers.directAddresses()).isEqualTo(cluster.primary().address() + "," + cluster.replica(1).address());
            for (PgBouncers.Front front : bouncers.fronts()) {
                assertThat(front.port()).isNotEqualTo(front.node().port());
                try (Connection c = front.connect()) {
                    assertThat(value(c, "SELECT inet_server_port()")).isEqualTo(Integer.toString(front.node().port()));
                    assertThat(value(c, "SELECT pg_is_in_recovery()")).isEqualTo(front.node().isStandby() ? "t" : "f");
                }
            }
            try (Connection admin = bouncers.front(cluster.primary()).connect()) {
                // 11 clients, 2 server connections: transaction pooling shares them
                Connection[] clients = new Connection[11];
                for (int i = 0; i < clients.length; i++) {
                    clients[i] = bouncers.front(cluster.primary()).connect();
                    value(clients[i], "SELECT 1");
                }
                long servers = Long.parseLong(value(admin, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                        + "AND usename = current_user AND pid <> pg_backend_pid()"));
                assertThat(servers).isLessThanOrEqualTo(2);
                for (Connection c : clients) {
                    c.close();
                }
            }

            PgBouncers.Front replicaFront = bouncers.front(cluster.replica(1));
            bouncers.stop(replicaFront);
            assertThat(replicaFront.isRunning()).isFalse();
            assertThatThrownBy(replicaFront::connect).isInstanceOf(SQLException.class);
            bouncers.restart(replicaFront);
            try (Connection c = replicaFront.connect()) {
                assertThat(value(c, "SELECT 1")).isEqualTo("1");
            }
        }
    }
}
