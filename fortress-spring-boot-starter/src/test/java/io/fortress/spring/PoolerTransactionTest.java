package io.fortress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.cluster.PgBouncers;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.Pooler;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Spring transactions behind PgBouncer in transaction pooling: an isolation level is set in the
 * transaction, so it holds there and stays off the server connections PgBouncer lends to others.
 */
@RequiresTool(Tool.PGBOUNCER)
class PoolerTransactionTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(1);

    @Test
    void isolationLevelsHoldInTheirTransactionAndLeaveNothingBehind() {
        LocalCluster cluster = CLUSTER.cluster();
        try (PgBouncers bouncers = PgBouncers.start(cluster, 1, false);
             Database db = Database.open(DbConfig.builder().host(bouncers.primaryAddress()).user(cluster.superuser())
                     .password(cluster.password()).database(cluster.database()).replicaHosts(bouncers.replicaAddresses())
                     .pooler(Pooler.PGBOUNCER_TRANSACTION).connectTimeout(Duration.ofSeconds(5)).build())) {
            FortressDataSource dataSource = new FortressDataSource(db, false);
            FortressTransactionManager manager = new FortressTransactionManager(dataSource);
            JdbcTemplate jdbc = new JdbcTemplate(dataSource);

            TransactionTemplate serializable = new TransactionTemplate(manager);
            serializable.setIsolationLevel(TransactionDefinition.ISOLATION_SERIALIZABLE);
            assertThat((String) serializable.execute(s -> jdbc.queryForObject("SELECT current_setting('transaction_isolation') || ' ' "
                    + "|| inet_server_port()", String.class))).isEqualTo("serializable " + cluster.primary().port());

            TransactionTemplate readOnly = new TransactionTemplate(manager);
            readOnly.setReadOnly(true);
            readOnly.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
            assertThat((String) readOnly.execute(s -> jdbc.queryForObject("SELECT current_setting('transaction_isolation') || ' ' "
                    + "|| current_setting('transaction_read_only') || ' ' || inet_server_port()", String.class)))
                    .isEqualTo("repeatable read on " + cluster.replica(1).port());

            // one server connection behind each PgBouncer: the next transaction runs where those ran
            TransactionTemplate plain = new TransactionTemplate(manager);
            for (Node node : cluster.nodes()) {
                plain.setReadOnly(node.isStandby());
                assertThat((String) plain.execute(s -> jdbc.queryForObject("SELECT current_setting('transaction_isolation')", String.class)))
                        .as("isolation left on " + node.name()).isEqualTo("read committed");
            }
        }
    }
}
