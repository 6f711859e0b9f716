package io.fortress.springtests.jpa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.springtests.SpringApps;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring transaction timeout is fortress's deadline too: a read-only JPA transaction whose replica is frozen fails
 * within about its timeout, long before the (deliberately slow) health checker would take the replica out.
 */
class TransactionTimeoutTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(2);
    /** A one-second timeout plus Deadline.MARGIN, with ample room for 2 busy cores; the freeze lasts longer. */
    private static final Duration SLOWEST = Duration.ofSeconds(4);

    @Test
    void aReadOnlyTransactionOnAFrozenReplicaEndsWithinItsTimeout() throws Exception {
        LocalCluster c = CLUSTER.cluster();
        try (ConfigurableApplicationContext app = SpringApps.start(JpaApplication.class, c, "spring.main.web-application-type=none",
                "fortress.migrations.services=jpa_app", "fortress.migrations.location=classpath:appmigrations",
                "fortress.health-interval=20s", "fortress.health-timeout=20s")) {
            Bank bank = app.getBean(Bank.class);
            for (int i = 0; i < 20; i++) {
                assertThat(bank.readOnlyPortWithinASecond()).isIn(c.replica(1).port(), c.replica(2).port());
            }
            for (Node replica : c.replicas()) {
                replica.freeze(); // every read-only transaction lands on a frozen replica, which the health checker has not noticed
            }
            try {
                for (int i = 0; i < 3; i++) {
                    long start = System.nanoTime();
                    assertThatThrownBy(bank::readOnlyPortWithinASecond).isInstanceOf(RuntimeException.class);
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a transaction with a 1 s timeout on a frozen replica")
                            .isLessThan(SLOWEST);
                }
            } finally {
                for (Node replica : c.replicas()) {
                    replica.thaw();
                }
            }
        }
    }
}
