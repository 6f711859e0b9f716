package io.fortress.springtests.adoption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.Database;
import io.fortress.db.api.HostAndPort;
import io.fortress.springtests.jpa.Bank;
import io.fortress.springtests.jpa.JpaApplication;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An application that already runs on plain Spring Boot adds the starter: configured with
 * {@code spring.datasource.*} only (the module's surefire clears the DB_* variables), it keeps its
 * database; fortress settings that disagree with it, a URL fortress cannot take and a database that
 * cannot be reached stop start-up with a failure analysis naming the settings.
 */
@ExtendWith(OutputCaptureExtension.class)
class SpringDataSourceAdoptionTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(1);

    private static String url(int port) {
        return "jdbc:postgresql://" + Node.HOST + ":" + port + "/" + CLUSTER.cluster().database();
    }

    private static ConfigurableApplicationContext start(String... properties) {
        LocalCluster c = CLUSTER.cluster();
        List<String> all = new java.util.ArrayList<>(List.of("spring.main.web-application-type=none",
                "spring.datasource.username=" + c.superuser(), "spring.datasource.password=" + c.password(),
                "fortress.migrations.services=jpa_app", "fortress.migrations.location=classpath:appmigrations",
                "fortress.connect-timeout=2s"));
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(JpaApplication.class).properties(all.toArray(String[]::new)).run();
    }

    @Test
    void anApplicationConfiguredOnlyWithSpringDatasourceKeepsItsDatabase() {
        LocalCluster c = CLUSTER.cluster();
        try (ConfigurableApplicationContext app = start("spring.datasource.url=" + url(c.primary().port()))) {
            Database db = app.getBean(Database.class);
            assertThat(db.config().primaryAddress()).isEqualTo(new HostAndPort(Node.HOST, c.primary().port()));
            assertThat(db.config().database()).isEqualTo(c.database());
            Bank bank = app.getBean(Bank.class);
            long id = bank.open("adopted", 3).getId();
            assertThat(c.primary().queryValue("SELECT owner FROM jpa_app.accounts WHERE id = " + id)).isEqualTo("adopted");
            assertThat(bank.readOnlyPort()).as("no replicas named: the primary serves reads").isEqualTo(c.primary().port());
        }
        try (ConfigurableApplicationContext app = start("spring.datasource.url=" + url(c.primary().port()),
                "fortress.replica-hosts=" + c.replica(1).address())) {
            assertThat(app.getBean(Bank.class).readOnlyPort()).as("replicas from fortress.replica-hosts").isEqualTo(c.replica(1).port());
        }
    }

    @Test
    void aMultiHostUrlListsThePrimarysCandidates() throws IOException {
        LocalCluster c = CLUSTER.cluster();
        int closed = closedPort();
        String url = "jdbc:postgresql://" + Node.HOST + ":" + closed + "," + Node.HOST + ":" + c.primary().port() + "/" + c.database()
                + "?targetServerType=primary&ApplicationName=adopter";
        try (ConfigurableApplicationContext app = start("spring.datasource.url=" + url)) {
            Database db = app.getBean(Database.class);
            assertThat(db.config().primaryCandidates()).containsExactly(new HostAndPort(Node.HOST, closed),
                    new HostAndPort(Node.HOST, c.primary().port()));
            assertThat(db.config().applicationName()).isEqualTo("adopter");
            assertThat(app.getBean(Bank.class).readWritePort()).isEqualTo(c.primary().port());
        }
    }

    @Test
    void hikariSettingsWithAnEquivalentAreHonouredAndTheOthersNamed(CapturedOutput output) {
        LocalCluster c = CLUSTER.cluster();
        try (ConfigurableApplicationContext app = start("spring.datasource.url=" + url(c.primary().port()),
                "spring.datasource.hikari.maximum-pool-size=7", "spring.datasource.hikari.max-lifetime=600000",
                "spring.datasource.hikari.leak-detection-threshold=2000")) {
            Database db = app.getBean(Database.class);
            assertThat(db.config().maxOpenConns()).isEqualTo(7);
            assertThat(db.config().connMaxLifetime()).isEqualTo(java.time.Duration.ofMinutes(10));
            assertThat(output.getAll()).contains("spring.datasource.hikari.leak-detection-threshold is ignored")
                    .doesNotContain("spring.datasource.hikari.maximum-pool-size is ignored");
        }
    }

    @Test
    void settingsThatNameAnotherDatabaseStopStartUpNamingBoth(CapturedOutput output) {
        LocalCluster c = CLUSTER.cluster();
        Throwable failed = catchThrowable(() -> start("spring.datasource.url=" + url(c.primary().port()),
                "fortress.host=" + Node.HOST, "fortress.port=" + c.replica(1).port()).close());
        assertThat(failed).isNotNull();
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START").contains("fortress.port=" + c.replica(1).port())
                .contains("spring.datasource.url names [" + Node.HOST + ":" + c.primary().port() + "]").doesNotContain(c.password());

        failed = catchThrowable(() -> start("spring.datasource.url=" + url(c.primary().port()), "fortress.database=other").close());
        assertThat(failed).isNotNull();
        assertThat(output.getAll()).contains("fortress.database=other but spring.datasource.url=" + c.database());
    }

    @Test
    void aUrlFortressCannotTakeIsRefusedNamingIt(CapturedOutput output) {
        assertThat(catchThrowable(() -> start("spring.datasource.url=jdbc:mysql://" + Node.HOST + "/shop").close())).isNotNull();
        assertThat(output.getAll()).contains("spring.datasource.url names jdbc:mysql://" + Node.HOST + "/shop, not a PostgreSQL database");
        String secret = "s3cr3t-in-url";
        assertThat(catchThrowable(() -> start("spring.datasource.url=" + url(CLUSTER.cluster().primary().port())
                + "?password=" + secret + "&prepareThreshold=0").close())).isNotNull();
        assertThat(output.getAll()).contains("spring.datasource.url parameter prepareThreshold is refused").doesNotContain(secret);
    }

    @Test
    void aDatabaseThatCannotBeReachedGivesAFailureAnalysis(CapturedOutput output) throws IOException {
        int closed = closedPort();
        Throwable failed = catchThrowable(() -> start("spring.datasource.url=" + url(closed)).close());
        assertThat(failed).isNotNull();
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START").contains("fortress cannot start")
                .contains(Node.HOST + ":" + closed).contains("The address comes from spring.datasource.url=" + url(closed))
                .contains("Action:").contains("fortress.replica-hosts").doesNotContain(CLUSTER.cluster().password());
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
