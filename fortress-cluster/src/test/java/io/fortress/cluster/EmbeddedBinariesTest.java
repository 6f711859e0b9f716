package io.fortress.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The fallback for machines without a PostgreSQL server: the embedded binaries hold only initdb, pg_ctl and postgres. */
class EmbeddedBinariesTest {

    @Test
    void aClusterRunsOnTheEmbeddedServerBinariesAlone() {
        PgBinaries embedded = PgBinaries.embedded();
        assertThat(embedded.source()).contains("zonky");
        assertThat(embedded.binDir().resolve("pg_basebackup")).doesNotExist();
        try (LocalCluster cluster = LocalCluster.builder().replicas(1).binaries(embedded).start()) {
            assertThat(cluster.primary().queryValue("SHOW server_version")).startsWith(Integer.toString(embedded.majorVersion()));
            cluster.primary().execute("CREATE TABLE t AS SELECT 1 AS x");
            cluster.awaitReplication(Duration.ofSeconds(30));
            assertThat(cluster.replica(1).queryValue("SELECT x FROM t")).isEqualTo("1");
            assertThat(cluster.replica(1).queryValue("SELECT status FROM pg_stat_wal_receiver")).isEqualTo("streaming");
        }
    }
}
