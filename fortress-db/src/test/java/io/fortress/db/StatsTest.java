package io.fortress.db;

import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalClusterExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every stats number follows the work done. Each test opens its own Database so counts start at zero. */
class StatsTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(2);

    @Test
    void queryCountsFollowTheWorkDone() {
        try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster()).build())) {
            DbStats.Queries before = db.stats().metrics();
            for (int i = 0; i < 100; i++) {
                db.query("SELECT 1", RowMapper.firstLong());
            }
            DbStats.Queries afterReads = db.stats().metrics();
            assertThat(afterReads.replicaQueries() - before.replicaQueries()).isEqualTo(100);
            assertThat(afterReads.primaryQueries()).isEqualTo(before.primaryQueries());

            db.exec("CREATE TEMP TABLE IF NOT EXISTS scratch(id int)");
            db.useTransaction(tx -> {
                tx.exec("SELECT 1");
                tx.query("SELECT 2", RowMapper.firstLong());
            });
            DbStats.Queries afterWrites = db.stats().metrics();
            assertThat(afterWrites.primaryQueries() - afterReads.primaryQueries()).isEqualTo(3);
            assertThat(afterWrites.replicaQueries()).isEqualTo(afterReads.replicaQueries());
            assertThat(afterWrites.errors()).isZero();

            assertThatThrownBy(() -> db.query("SELECT * FROM missing_table", RowMapper.columnMap()));
            assertThatThrownBy(() -> db.exec("INSERT INTO missing_table VALUES (1)"));
            assertThat(db.stats().metrics().errors()).isEqualTo(2);
        }
    }

    @Test
    void slowStatementsAreCountedAndTimed() {
        // a threshold far above what SELECT 1 takes even on a loaded machine (a first connection and a stall of seconds included)
        DbConfig config = TestDatabases.config(CLUSTER.cluster()).slowQueryThreshold(Duration.ofSeconds(4)).build();
        try (Database db = Database.open(config)) {
            long latencyBefore = db.stats().metrics().totalLatencyMs();
            db.query("SELECT pg_sleep(4.2)", RowMapper.columnMap());
            db.query("SELECT 1", RowMapper.firstLong());
            DbStats.Queries after = db.stats().metrics();
            assertThat(after.slowQueries()).isEqualTo(1);
            assertThat(after.totalLatencyMs() - latencyBefore).isGreaterThanOrEqualTo(4200);
        }
    }

    @Test
    void poolGaugesAndWaitsFollowBorrowing() throws Exception {
        DbConfig config = TestDatabases.config(CLUSTER.cluster()).maxOpenConns(2).maxIdleConns(2).build();
        try (Database db = Database.open(config)) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> db.useTransaction(tx -> {
                tx.exec("SELECT 1");
                inside.countDown();
                release.await(30, TimeUnit.SECONDS);
            }));
            assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
            DbStats.Pool held = db.stats().primary();
            assertThat(held.inUse()).isEqualTo(1);
            assertThat(held.openConnections()).isEqualTo(held.inUse() + held.idle());
            release.countDown();
            holder.get(30, TimeUnit.SECONDS);

            long waitsBefore = db.stats().primary().waitCount();
            List<CompletableFuture<Long>> sleepers = new ArrayList<>();
            ExecutorService four = Executors.newFixedThreadPool(4); // all four borrow at once, whatever the CPU count
            try {
                for (int i = 0; i < 4; i++) {
                    sleepers.add(CompletableFuture.supplyAsync(() -> db.exec("SELECT pg_sleep(0.4)"), four));
                }
                for (CompletableFuture<Long> s : sleepers) {
                    s.get(30, TimeUnit.SECONDS);
                }
            } finally {
                four.shutdownNow();
            }
            DbStats.Pool after = db.stats().primary();
            assertThat(after.waitCount() - waitsBefore).as("two of four borrowers found both connections busy").isGreaterThanOrEqualTo(2);
            assertThat(after.waitDurationMs()).isGreaterThanOrEqualTo(300);
            assertThat(after.openConnections()).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void aPoolTimeoutCountsOnceInHikariMetersAndAsAnError() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DbConfig config = TestDatabases.config(CLUSTER.cluster()).maxOpenConns(1).maxIdleConns(1)
                .poolTimeout(Duration.ofSeconds(1)).build();
        try (Database db = Database.open(config, registry)) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> db.useTransaction(tx -> {
                inside.countDown();
                release.await(30, TimeUnit.SECONDS);
            }));
            assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> db.exec("SELECT 1"))
                    .isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("Connection is not available, request timed out after");
            release.countDown();
            holder.get(30, TimeUnit.SECONDS);
            assertThat(registry.get("hikaricp.connections.timeout").tag("pool", "primary").counter().count()).isEqualTo(1);
            assertThat(registry.get("hikaricp.connections.acquire").tag("pool", "primary").timer().max(TimeUnit.MILLISECONDS))
                    .isGreaterThanOrEqualTo(900);
            assertThat(db.stats().metrics().errors()).isEqualTo(1);
        }
    }

    @Test
    void jsonHasExactlyTheGetStatsKeys() throws Exception {
        try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster()).build())) {
            db.query("SELECT 1", RowMapper.firstLong());
            JsonNode json = new ObjectMapper().readTree(db.stats().toJson());
            assertThat(names(json)).containsExactly("primary", "replicas", "metrics");
            List<String> poolKeys = List.of("open_connections", "in_use", "idle", "wait_count", "wait_duration_ms",
                    "max_idle_closed", "max_lifetime_closed");
            assertThat(names(json.get("primary"))).containsExactlyElementsOf(poolKeys);
            assertThat(json.get("replicas")).hasSize(2);
            for (JsonNode replica : json.get("replicas")) {
                assertThat(names(replica)).containsExactlyElementsOf(poolKeys);
            }
            assertThat(names(json.get("metrics"))).containsExactly("primary_queries", "replica_queries", "errors",
                    "slow_queries", "total_latency_ms");
            assertThat(json.get("metrics").get("replica_queries").asLong()).isEqualTo(1);
        }
    }

    @Test
    void micrometerMetersAgreeWithStatsAndFollowPrometheusNaming() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster()).build(), registry)) {
            for (int i = 0; i < 10; i++) {
                db.query("SELECT 1", RowMapper.firstLong());
            }
            db.exec("SELECT 1");
            double replicaQueries = registry.get("fortress.db.queries").tag("role", "replica").functionCounters().stream()
                    .mapToDouble(c -> c.count()).sum();
            assertThat((long) replicaQueries).isEqualTo(db.stats().metrics().replicaQueries()).isEqualTo(10);
            assertThat(registry.get("fortress.db.queries").tag("node", "primary").functionCounter().count()).isEqualTo(1);

            String scrape = registry.scrape();
            assertThat(scrape).contains("fortress_db_queries_total{node=\"primary\",role=\"primary\"} 1.0");
            assertThat(scrape).contains("fortress_db_query_duration_seconds_count{node=\"primary\",role=\"primary\"} 1");
            assertThat(scrape).contains("fortress_db_node_up{node=\"replica-2\",role=\"replica\"} 1.0");
            assertThat(scrape).contains("hikaricp_connections_active{pool=\"replica-1\"}");
            assertThat(scrape).contains("fortress_db_read_reroutes_total{reason=\"no_replica\"} 0.0");
            for (String line : scrape.split("\n")) {
                if (line.startsWith("# TYPE ") && line.endsWith(" counter")) {
                    assertThat(line.split(" ")[2]).as(line).endsWith("_total");
                }
            }
            assertThat(scrape).doesNotContain(CLUSTER.cluster().password());
        }
        assertThat(registry.find("fortress.db.queries").meters()).as("meters removed on close").isEmpty();
    }

    @Test
    void simpleRegistryWorksToo() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster()).build(), registry)) {
            db.query("SELECT 1", RowMapper.firstLong());
            assertThat(registry.get("fortress.db.query.duration").tag("role", "replica").functionTimers())
                    .extracting(t -> (long) t.count()).contains(1L);
        }
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        Iterator<String> it = node.fieldNames();
        it.forEachRemaining(names::add);
        return names;
    }
}
