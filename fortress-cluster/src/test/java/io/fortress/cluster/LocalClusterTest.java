package io.fortress.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared cluster of this class is never broken: operations that do are in {@link LocalClusterOperationsTest}. */
class LocalClusterTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(2);

    @Test
    void replicasStreamFromThePrimaryOnLoopback() {
        LocalCluster cluster = CLUSTER.cluster();
        assertThat(cluster.nodes()).extracting(Node::name).containsExactly("primary", "replica-1", "replica-2");
        assertThat(cluster.nodes()).extracting(Node::port).doesNotHaveDuplicates();
        assertThat(cluster.primary().queryValue("SELECT pg_is_in_recovery()")).isEqualTo("f");
        for (Node replica : cluster.replicas()) {
            assertThat(replica.queryValue("SELECT pg_is_in_recovery()")).isEqualTo("t");
            assertThat(replica.queryValue("SELECT status FROM pg_stat_wal_receiver")).isEqualTo("streaming");
            assertThat(replica.queryValue("SHOW listen_addresses")).isEqualTo("127.0.0.1");
        }
        assertThat(cluster.primary().queryValue("SELECT count(*) FROM pg_replication_slots WHERE active")).isEqualTo("2");
    }

    @Test
    void writesOnThePrimaryReachEveryReplica() {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE IF NOT EXISTS replicated(id int primary key); INSERT INTO replicated VALUES (42)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        for (Node replica : cluster.replicas()) {
            assertThat(replica.queryValue("SELECT id FROM replicated")).isEqualTo("42");
        }
    }

    @Test
    void replicasRefuseWrites() {
        assertThatThrownBy(() -> CLUSTER.cluster().replica(1).execute("CREATE TABLE nope(id int)"))
                .hasMessageContaining("read-only transaction");
    }

    @Test
    void passwordAuthenticationIsRequired() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        assertThat(cluster.primary().queryValue("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust'")).isEqualTo("0");
        var props = new java.util.Properties();
        props.setProperty("user", cluster.superuser());
        props.setProperty("password", "wrong");
        assertThatThrownBy(() -> java.sql.DriverManager.getConnection(cluster.primary().jdbcUrl(), props))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cluster.passwordFile()))).isEqualTo("rw-------");
        assertThat(Files.readString(cluster.passwordFile()).strip()).isEqualTo(cluster.password());
    }

    @Test
    void jdbcUrlsCarryNoCredentials() throws SQLException {
        Node primary = CLUSTER.cluster().primary();
        assertThat(primary.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + primary.port() + "/fortress");
        try (Connection c = primary.connect()) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    @Test
    void unknownReplicaIsAClearError() {
        assertThatThrownBy(() -> CLUSTER.cluster().replica(3))
                .hasMessage("replica 3 does not exist; this cluster has replicas 1..2");
    }

    @Test
    void binariesAreFoundAndVersioned() {
        PgBinaries binaries = CLUSTER.cluster().binaries();
        assertThat(binaries.majorVersion()).isGreaterThanOrEqualTo(13);
        assertThat(Path.of(binaries.tool("initdb"))).isExecutable();
        assertThat(CLUSTER.cluster().primary().queryValue("SHOW server_version")).startsWith(binaries.version());
    }

    @Test
    void replicaAddressesListEveryReplica() {
        LocalCluster cluster = CLUSTER.cluster();
        assertThat(cluster.replicaAddresses().split(","))
                .containsExactlyElementsOf(List.of(cluster.replica(1).address(), cluster.replica(2).address()));
    }
}
