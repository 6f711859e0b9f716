package io.fortress.springtests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.spring.FortressTransactionManager;
import io.fortress.springtests.jdbc.DataJdbcApplication;
import io.fortress.springtests.jooq.JooqApplication;
import io.fortress.springtests.mybatis.MyBatisApplication;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The other data-access stacks the docs name, each as a small application of its own written the way
 * its users write one: Spring Data JDBC (CrudRepository), jOOQ (Spring Boot's jOOQ starter) and
 * MyBatis (mybatis-spring-boot-starter), driven over real HTTP: writes stored on the primary,
 * read-only transactions on a replica, read-write ones on the primary.
 */
class OtherStacksTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @CsvSource({"Spring Data JDBC, jdbc_app", "jOOQ, jooq_app", "MyBatis, mybatis_app"})
    void writesAreStoredOnThePrimaryAndReadOnlyTransactionsRunOnAReplica(String stack, String schema) throws Exception {
        Class<?> application = switch (stack) {
            case "Spring Data JDBC" -> DataJdbcApplication.class;
            case "jOOQ" -> JooqApplication.class;
            default -> MyBatisApplication.class;
        };
        try (ConfigurableApplicationContext app = SpringApps.start(application, CLUSTER.cluster(), "fortress.migrations.services=" + schema,
                "fortress.migrations.location=classpath:appmigrations")) {
            assertThat(app.getBean(PlatformTransactionManager.class)).isInstanceOf(FortressTransactionManager.class);
            HttpResponse<String> added = SpringApps.post(app, "/items", "{\"name\":\"from " + stack + "\"}");
            assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
            long id = JSON.readTree(added.body()).get("id").asLong();
            assertThat(CLUSTER.cluster().primary().queryValue("SELECT name FROM " + schema + ".items WHERE id = " + id))
                    .isEqualTo("from " + stack);
            assertThat(added.headers().firstValue("Fortress-Consistency-Token")).as("the write's token").isPresent();

            List<Integer> replicas = CLUSTER.cluster().replicas().stream().map(Node::port).toList();
            for (int i = 0; i < 6; i++) {
                JsonNode ports = JSON.readTree(SpringApps.get(app, "/ports").body());
                assertThat(ports.get("readOnly").asInt()).as("@Transactional(readOnly = true)").isIn(replicas);
                assertThat(ports.get("readWrite").asInt()).as("@Transactional").isEqualTo(CLUSTER.cluster().primary().port());
            }
        }
    }
}
