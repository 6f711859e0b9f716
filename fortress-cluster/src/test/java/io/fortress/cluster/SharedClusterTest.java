package io.fortress.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import org.junit.jupiter.api.Test;

/** The cluster that test classes share: what the next class finds after one that changed it or broke it. */
class SharedClusterTest {

    @Test
    void theNextClassFindsANewClustersDatabasesAndRolesAndABrokenClusterIsReplaced() throws Exception {
        try (SharedCluster shared = new SharedCluster(1)) {
            LocalCluster first = shared.checkOut();
            first.primary().execute("CREATE TABLE left_behind(id int)");
            first.primary().execute("CREATE DATABASE other_class");
            first.primary().execute("CREATE ROLE other_role LOGIN");
            first.primary().execute("CREATE TABLE owned(id int); ALTER TABLE owned OWNER TO other_role");

            LocalCluster second = shared.checkOut();
            assertThat(second).as("a usable cluster is handed on, not started again").isSameAs(first);
            for (Node node : second.nodes()) {
                assertThat(node.queryValue("SELECT count(*) FROM pg_class WHERE relname IN ('left_behind', 'owned')"))
                        .as("tables of the earlier class on " + node.name()).isEqualTo("0");
                assertThat(node.queryValue("SELECT count(*) FROM pg_database WHERE datname = 'other_class'"))
                        .as("databases of the earlier class on " + node.name()).isEqualTo("0");
                assertThat(node.queryValue("SELECT count(*) FROM pg_roles WHERE rolname = 'other_role'"))
                        .as("roles of the earlier class on " + node.name()).isEqualTo("0");
            }

            second.replica(1).stop();
            LocalCluster third = shared.checkOut();
            assertThat(third).as("a cluster with a stopped node is replaced").isNotSameAs(second);
            assertThat(second.primary().isRunning()).as("the replaced cluster was stopped").isFalse();
            assertThat(third.nodes()).allMatch(Node::isRunning);
            try (Connection c = third.replica(1).connect()) {
                assertThat(c.isValid(5)).isTrue();
            }
            shared.close();
            assertThat(third.nodes()).noneMatch(Node::isRunning);
        }
    }
}
