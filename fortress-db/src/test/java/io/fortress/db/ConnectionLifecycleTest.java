package io.fortress.db;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalClusterExtension;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Idle retirement and lifetime expiry, with HikariCP's shortest allowed settings (10 s idle, 30 s lifetime). */
class ConnectionLifecycleTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);

    @Test
    void idleAndLifetimeClosesAreCountedApart() throws Exception {
        DbConfig config = TestDatabases.config(CLUSTER.cluster())
                .maxOpenConns(4).maxIdleConns(1)
                .connMaxIdleTime(Duration.ofSeconds(10)).connMaxLifetime(Duration.ofSeconds(30))
                .build();
        try (Database db = Database.open(config)) {
            DataSource primary = db.primaryDataSource();
            List<Connection> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(primary.getConnection());
            }
            for (Connection c : held) {
                c.close();
            }
            assertThat(db.stats().primary().openConnections()).isEqualTo(4);

            // three connections beyond maxIdleConns idle past connMaxIdleTime and are closed
            await().atMost(Duration.ofSeconds(25)).until(() -> db.stats().primary().maxIdleClosed() == 3);
            assertThat(db.stats().primary().maxLifetimeClosed()).isZero();

            // the one kept idle reaches its lifetime (HikariCP retires it within the last quarter of 30 s)
            await().atMost(Duration.ofSeconds(40)).until(() -> db.stats().primary().maxLifetimeClosed() >= 1);
            assertThat(db.stats().primary().maxIdleClosed()).isEqualTo(3);
            assertThat(db.queryOne("SELECT 1", RowMapper.firstLong())).contains(1L);
        }
    }
}
