package io.fortress.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.Database;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.actuate.health.CompositeHealthContributor;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.SimpleStatusAggregator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.JdbcTemplateAutoConfiguration;
import org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.annotation.Bean;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

/** The starter in real application contexts against a real primary and two streaming replicas. */
class FortressAutoConfigurationTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(2);

    private static ApplicationContextRunner runner() {
        LocalCluster c = CLUSTER.cluster();
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(FortressAutoConfiguration.class, TransactionAutoConfiguration.class,
                        JdbcTemplateAutoConfiguration.class))
                .withPropertyValues("fortress.host=" + Node.HOST, "fortress.port=" + c.primary().port(), "fortress.user=" + c.superuser(),
                        "fortress.password=" + c.password(), "fortress.database=" + c.database(),
                        "fortress.replica-hosts=" + c.replicas().stream().map(Node::address).collect(Collectors.joining(",")),
                        "fortress.health-interval=2s", "fortress.health-fast-interval=200ms")
                .withUserConfiguration(Reads.class);
    }

    /** A service with Spring transactions, as an application would write it. */
    @Configuration(proxyBeanMethods = false)
    static class Reads {
        @Bean
        InRecovery inRecovery(JdbcTemplate jdbc) {
            return new InRecovery(jdbc);
        }
    }

    static class InRecovery {
        private final JdbcTemplate jdbc;

        InRecovery(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional(readOnly = true)
        public boolean readOnly() {
            return query();
        }

        @Transactional(readOnly = true, label = "fortress:strong")
        public boolean readOnlyStrong() {
            return query();
        }

        @Transactional(readOnly = true, label = "fortress:sometimes")
        public boolean readOnlyUnknownLabel() {
            return query();
        }

        /** Two statements of one read-only transaction: the same server, the same snapshot. */
        @Transactional(readOnly = true)
        public List<Integer> twoReads() {
            return List.of(port(), port());
        }

        @Transactional
        public boolean readWrite() {
            return query();
        }

        @Transactional
        public void write(String item) {
            jdbc.update("INSERT INTO ryw(item) VALUES (?)", item);
        }

        @Transactional(readOnly = true, label = "fortress:read-your-writes")
        public List<String> readYourWrites() {
            return jdbc.queryForList("SELECT item FROM ryw", String.class);
        }

        public boolean outside() {
            return query();
        }

        private boolean query() {
            return Boolean.TRUE.equals(jdbc.queryForObject("SELECT pg_is_in_recovery()", Boolean.class));
        }

        private int port() {
            return jdbc.queryForObject("SELECT inet_server_port()", Integer.class);
        }
    }

    @Test
    void readOnlyTransactionsRunOnAReplicaAndTheOthersOnThePrimary() {
        runner().run(ctx -> {
            assertThat(ctx).hasNotFailed();
            InRecovery s = ctx.getBean(InRecovery.class);
            assertThat(ctx.getBean(DataSource.class)).isInstanceOf(FortressDataSource.class);
            for (int i = 0; i < 20; i++) {
                assertThat(s.readOnly()).as("@Transactional(readOnly = true)").isTrue();
                assertThat(s.readWrite()).as("@Transactional").isFalse();
                assertThat(s.outside()).as("outside a transaction").isFalse();
                assertThat(s.readOnlyStrong()).as("label fortress:strong").isFalse();
                List<Integer> ports = s.twoReads();
                assertThat(ports.get(0)).isEqualTo(ports.get(1));
            }
            assertThat(org.assertj.core.api.Assertions.catchThrowable(s::readOnlyUnknownLabel))
                    .hasMessageContaining("fortress:sometimes").hasMessageContaining("fortress:bounded-staleness=<duration>");
        });
    }

    @Test
    void routingHoldsWithAWrapperThatTouchesTheConnectionFirst() {
        runner().withUserConfiguration(MetadataTouchingWrapper.class).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(Proxy.isProxyClass(ctx.getBean(DataSource.class).getClass())).as("the DataSource is wrapped").isTrue();
            InRecovery s = ctx.getBean(InRecovery.class);
            for (int i = 0; i < 20; i++) {
                assertThat(s.readOnly()).isTrue();
                assertThat(s.readWrite()).isFalse();
            }
            assertThat(MetadataTouchingWrapper.touched).as("the wrapper did call getMetaData()").isPositive();
        });
    }

    /** What tracing and metrics wrappers do (datasource-micrometer#114): ask each new connection for its metadata. */
    @Configuration(proxyBeanMethods = false)
    static class MetadataTouchingWrapper {
        static volatile int touched;

        @Bean
        static BeanPostProcessor wrapDataSources() {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessAfterInitialization(Object bean, String name) {
                    if (!(bean instanceof DataSource target)) {
                        return bean;
                    }
                    return Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                        Object result = method.invoke(target, args);
                        if (result instanceof Connection c) {
                            c.getMetaData().getURL();
                            touched++;
                        }
                        return result;
                    });
                }
            };
        }
    }

    @Test
    void aStoppedReplicaIsOutOfRotationAndTheApplicationStaysUp() {
        runner().run(ctx -> {
            CompositeHealthContributor health = ctx.getBean(FortressHealthContributor.class);
            assertThat(statuses(health)).containsEntry("primary", Status.UP).containsEntry("replica-1", Status.UP)
                    .containsEntry("replica-2", Status.UP);
            LocalCluster c = CLUSTER.cluster();
            c.replica(2).stop();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> statuses(health).get("replica-2") == FortressHealthContributor.REPLICA_OUT);
                Map<String, Status> now = statuses(health);
                assertThat(now).containsEntry("primary", Status.UP);
                assertThat(new SimpleStatusAggregator().getAggregateStatus(Set.copyOf(now.values()))).as("the application").isEqualTo(Status.UP);
                assertThat(((HealthIndicator) health.getContributor("replica-2")).health().getDetails())
                        .containsEntry("role", "replica").containsKey("reason");
            } finally {
                c.replica(2).start();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> statuses(health).get("replica-2") == Status.UP);
        });
    }

    private static Map<String, Status> statuses(CompositeHealthContributor health) {
        return StreamSupport.stream(health.spliterator(), false)
                .collect(Collectors.toMap(n -> n.getName(), n -> ((HealthIndicator) n.getContributor()).health().getStatus()));
    }

    @Test
    void startUpMigrationsRunBeforeABeanThatQueriesAtStartUp() {
        runner().withPropertyValues("fortress.migrations.services=shop", "fortress.migrations.location=classpath:testmigrations")
                .withUserConfiguration(StartupQuery.class).run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(StartupQuery.Orders.class).count()).isEqualTo(1);
                    Health migrations = ctx.getBean(FortressMigrationsHealthIndicator.class).health();
                    assertThat(migrations.getStatus()).isEqualTo(Status.UP);
                    assertThat(migrations.getDetails()).containsKey("shop");
                    ctx.getBean(Database.class).exec("DROP SCHEMA shop CASCADE");
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class StartupQuery {
        record Orders(long count) {
        }

        @Bean
        Orders orders(JdbcTemplate jdbc) {
            return new Orders(jdbc.queryForObject("SELECT count(*) FROM shop.orders", Long.class));
        }
    }

    @Test
    void aDirtySchemaStopsStartUpWithFortresssMessage() {
        ApplicationContextRunner migrating = runner().withPropertyValues("fortress.migrations.services=shop",
                "fortress.migrations.location=classpath:testmigrations");
        migrating.run(ctx -> {
            assertThat(ctx).hasNotFailed();
            ctx.getBean(Database.class).exec("UPDATE shop.schema_migrations SET dirty = true");
            assertThat(ctx.getBean(FortressMigrationsHealthIndicator.class).health().getStatus()).as("a dirty schema").isEqualTo(Status.DOWN);
        });
        try {
            migrating.run(ctx -> {
                assertThat(ctx).hasFailed();
                FailureAnalysis analysis = new DirtyDatabaseFailureAnalyzer().analyze(ctx.getStartupFailure());
                assertThat(analysis).as("the analyzer recognises the failure").isNotNull();
                assertThat(analysis.getDescription()).contains("version 1 is dirty").doesNotContain("..");
                assertThat(analysis.getAction()).as("command lines naming the schema and the folder of its files")
                        .contains("fortress migrate force 1 --schema shop --source /", "fortress migrate force -1 --schema shop --source /")
                        .contains("testmigrations/shop");
            });
        } finally {
            runner().run(ctx -> ctx.getBean(Database.class).exec("DROP SCHEMA shop CASCADE"));
        }
    }

    @Test
    void aWritesTokenTravelsInAHeaderAndTheNextRequestReadsItsWrite() {
        LocalCluster c = CLUSTER.cluster();
        runner().run(ctx -> {
            Database db = ctx.getBean(Database.class);
            InRecovery s = ctx.getBean(InRecovery.class);
            db.exec("CREATE TABLE ryw(item text)");
            c.replicas().forEach(Node::pauseReplay); // no replica can show the write: the read must find that out
            try {
                ConsistencyTokenFilter filter = new ConsistencyTokenFilter("Fortress-Consistency-Token");
                MockHttpServletResponse first = new MockHttpServletResponse();
                filter.doFilter(new MockHttpServletRequest("POST", "/items"), first, (rq, rs) -> s.write("written"));
                String token = first.getHeader("Fortress-Consistency-Token");
                assertThat(token).as("the response carries the write's token").isNotBlank();

                MockHttpServletRequest second = new MockHttpServletRequest("GET", "/items");
                second.addHeader("Fortress-Consistency-Token", token);
                List<List<String>> read = new java.util.ArrayList<>();
                filter.doFilter(second, new MockHttpServletResponse(), (rq, rs) -> read.add(s.readYourWrites()));
                assertThat(read.get(0)).containsExactly("written");

                MockHttpServletRequest bad = new MockHttpServletRequest("GET", "/items");
                bad.addHeader("Fortress-Consistency-Token", "not a token");
                MockHttpServletResponse refused = new MockHttpServletResponse();
                filter.doFilter(bad, refused, (rq, rs) -> { throw new AssertionError("a bad token reached the application"); });
                assertThat(refused.getStatus()).isEqualTo(400);
                assertThat(refused.getErrorMessage()).contains("Fortress-Consistency-Token");
            } finally {
                c.replicas().forEach(Node::resumeReplay);
                db.exec("DROP TABLE ryw");
            }
        });
    }

    @Test
    void theMigrationsJoinTheReadinessGroupWhereThereIsOne() {
        ApplicationContextRunner actuator = runner().withConfiguration(AutoConfigurations.of(
                org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration.class,
                org.springframework.boot.actuate.autoconfigure.health.HealthEndpointAutoConfiguration.class,
                org.springframework.boot.actuate.autoconfigure.availability.AvailabilityHealthContributorAutoConfiguration.class,
                org.springframework.boot.actuate.autoconfigure.availability.AvailabilityProbesAutoConfiguration.class,
                org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration.class));
        actuator.withPropertyValues("management.endpoint.health.probes.enabled=true").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            org.springframework.boot.actuate.health.HealthEndpointGroups groups = ctx.getBean(
                    org.springframework.boot.actuate.health.HealthEndpointGroups.class);
            assertThat(groups.get("readiness").isMember("fortressMigrations")).isTrue();
            assertThat(groups.get("readiness").isMember("readinessState")).as("Spring Boot's own member stays").isTrue();
            assertThat(groups.get("liveness").isMember("fortressMigrations")).as("a schema behind is no reason to restart").isFalse();
        });
        actuator.run(ctx -> {
            assertThat(ctx).as("no readiness group, nothing named that is not there").hasNotFailed();
            assertThat(ctx.getBean(org.springframework.boot.actuate.health.HealthEndpointGroups.class).get("readiness")).isNull();
        });
    }

    @Test
    void aBadPropertyFailsStartUpNamingIt() {
        runner().withPropertyValues("fortress.max-open-conns=0").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("fortress.max-open-conns")
                    .hasMessageContaining("DB_MAX_OPEN_CONNS").hasMessageContaining("from 1 to");
        });
    }

    @Test
    void metersGoToTheApplicationsRegistry() {
        runner().withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(ctx -> {
            ctx.getBean(InRecovery.class).readOnly();
            MeterRegistry registry = ctx.getBean(MeterRegistry.class);
            assertThat(registry.find("fortress.db.node.up").gauges()).hasSize(3);
            assertThat(registry.find("fortress.db.queries").tag("node", "primary").functionCounters()).hasSize(1);
            // HikariCP's own meters once per pool: Spring Boot binds no second set to the DataSource bean
            assertThat(registry.find("hikaricp.connections").gauges()).extracting(g -> g.getId().getTag("pool"))
                    .containsExactlyInAnyOrder("primary", "replica-1", "replica-2");
        });
    }
}
