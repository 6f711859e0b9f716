package io.fortress.springtests.jpa;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.cluster.PgBouncers;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.spring.FortressJpaTransactionManager;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The JPA application behind PgBouncer in transaction pooling: an isolation level is set inside the
 * JPA transaction (not on the session PgBouncer lends to others), on the node the transaction routes to.
 */
@RequiresTool(Tool.PGBOUNCER)
class JpaBehindPgBouncerTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(1);

    @Test
    void isolationLevelsHoldInTheirJpaTransactionAndLeaveNothingBehind() {
        LocalCluster c = CLUSTER.cluster();
        try (PgBouncers bouncers = PgBouncers.start(c, 1, false);
             ConfigurableApplicationContext app = new SpringApplicationBuilder(JpaApplication.class).properties(
                     "spring.main.web-application-type=none", "fortress.pooler=pgbouncer-transaction",
                     "fortress.host=" + bouncers.primaryAddress(), "fortress.user=" + c.superuser(), "fortress.password=" + c.password(),
                     "fortress.database=" + c.database(), "fortress.replica-hosts=" + bouncers.replicaAddresses(),
                     "fortress.direct-hosts=" + c.nodes().stream().map(Node::address).collect(Collectors.joining(",")),
                     "fortress.migrations.services=jpa_app", "fortress.migrations.location=classpath:appmigrations").run()) {
            PlatformTransactionManager manager = app.getBean(PlatformTransactionManager.class);
            assertThat(manager).isInstanceOf(FortressJpaTransactionManager.class);
            JdbcTemplate jdbc = app.getBean(JdbcTemplate.class); // joins the JPA transaction's connection

            TransactionTemplate serializable = new TransactionTemplate(manager);
            serializable.setIsolationLevel(TransactionDefinition.ISOLATION_SERIALIZABLE);
            assertThat((String) serializable.execute(s -> {
                app.getBean(AccountRepository.class).save(new Account("behind-pgbouncer", 1));
                return jdbc.queryForObject("SELECT current_setting('transaction_isolation') || ' ' || inet_server_port()", String.class);
            })).isEqualTo("serializable " + c.primary().port());
            assertThat(c.primary().queryValue("SELECT count(*) FROM jpa_app.accounts WHERE owner = 'behind-pgbouncer'")).isEqualTo("1");

            TransactionTemplate readOnly = new TransactionTemplate(manager);
            readOnly.setReadOnly(true);
            readOnly.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
            assertThat((String) readOnly.execute(s -> jdbc.queryForObject("SELECT current_setting('transaction_isolation') || ' ' "
                    + "|| current_setting('transaction_read_only') || ' ' || inet_server_port()", String.class)))
                    .isEqualTo("repeatable read on " + c.replica(1).port());

            // one server connection behind each PgBouncer: the next transaction runs where those ran
            TransactionTemplate plain = new TransactionTemplate(manager);
            for (Node node : c.nodes()) {
                plain.setReadOnly(node.isStandby());
                assertThat((String) plain.execute(s -> jdbc.queryForObject("SELECT current_setting('transaction_isolation')", String.class)))
                        .as("isolation left on " + node.name()).isEqualTo("read committed");
            }
        }
    }
}
