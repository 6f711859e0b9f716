package io.fortress.db;

import io.fortress.db.api.Consistency;
import io.fortress.db.api.DatabaseException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.internal.pool.Reroute;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Routing on a healthy cluster of one primary and two replicas; nothing here breaks a node. */
class RoutingTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(2);

    static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
    static Database db;
    static int primaryPort;

    @BeforeAll
    static void open() {
        LocalCluster cluster = CLUSTER.cluster();
        primaryPort = cluster.primary().port();
        cluster.primary().execute("CREATE TABLE items(id bigint PRIMARY KEY, name text NOT NULL, served_by int)");
        cluster.primary().execute("CREATE SEQUENCE item_ids");
        cluster.awaitReplication(Duration.ofSeconds(30));
        db = Database.open(TestDatabases.config(cluster).build(), REGISTRY);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @Test
    void readsSpreadEvenlyOverBothReplicas() {
        Map<Integer, Integer> perPort = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            int port = db.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)).orElseThrow();
            perPort.merge(port, 1, Integer::sum);
        }
        List<Integer> replicaPorts = TestDatabases.replicaPorts(CLUSTER.cluster());
        assertThat(perPort.keySet()).containsExactlyInAnyOrderElementsOf(replicaPorts);
        for (int port : replicaPorts) {
            assertThat(perPort.get(port)).as("reads served by port %d", port).isBetween(1350, 1650);
        }
    }

    @Test
    void boundedStalenessReadsSpreadOverBothReplicasToo() {
        Map<Integer, Integer> perPort = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            int port = db.queryOne(Consistency.boundedStaleness(Duration.ofMinutes(1)), "SELECT inet_server_port()",
                    RowMapper.column(1, Integer.class)).orElseThrow();
            perPort.merge(port, 1, Integer::sum);
        }
        List<Integer> replicaPorts = TestDatabases.replicaPorts(CLUSTER.cluster());
        assertThat(perPort.keySet()).containsExactlyInAnyOrderElementsOf(replicaPorts);
        for (int port : replicaPorts) {
            assertThat(perPort.get(port)).as("reads served by port %d", port).isBetween(150, 250);
        }
    }

    @Test
    void writesRunOnlyOnThePrimary() {
        for (int i = 0; i < 50; i++) {
            long id = 1000 + i;
            assertThat(db.exec("INSERT INTO items(id, name, served_by) VALUES (?, ?, inet_server_port())", id, "w" + i)).isEqualTo(1);
        }
        List<Integer> servedBy = db.inTransaction(tx ->
                tx.query("SELECT DISTINCT served_by FROM items WHERE id BETWEEN 1000 AND 1049", RowMapper.column(1, Integer.class)));
        assertThat(servedBy).containsExactly(primaryPort);
    }

    @Test
    void transactionsRunEntirelyOnThePrimaryAndCommitOrRollBack() {
        List<Integer> ports = db.inTransaction(tx -> {
            tx.exec("INSERT INTO items(id, name) VALUES (?, ?)", 2001L, "in tx");
            Optional<String> mine = tx.queryOne("SELECT name FROM items WHERE id = ?", RowMapper.firstString(), 2001L);
            assertThat(mine).contains("in tx"); // read-your-writes inside the transaction
            assertThat(tx.node()).isEqualTo("primary");
            return tx.query("SELECT inet_server_port() FROM generate_series(1, 5)", RowMapper.column(1, Integer.class));
        });
        assertThat(ports).containsOnly(primaryPort);

        assertThatThrownBy(() -> db.useTransaction(tx -> {
            tx.exec("INSERT INTO items(id, name) VALUES (?, ?)", 2002L, "rolled back");
            throw new IllegalStateException("business rule broken");
        })).isInstanceOf(IllegalStateException.class).hasMessage("business rule broken");
        Optional<Long> rolledBack = db.inTransaction(tx -> tx.queryOne("SELECT count(*) FROM items WHERE id = 2002", RowMapper.firstLong()));
        assertThat(rolledBack).contains(0L);
    }

    @Test
    void readOnlyTransactionIsPinnedToOneReplicaAndSeesOneSnapshot() {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE snapshot_probe(id int)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        for (int round = 0; round < 4; round++) {
            int inserted = round;
            List<Object> seen = db.inReadOnlyTransaction(tx -> {
                long before = tx.queryOne("SELECT count(*) FROM snapshot_probe", RowMapper.firstLong()).orElseThrow();
                int port1 = tx.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)).orElseThrow();
                // a committed write that reaches every replica while the transaction is open
                cluster.primary().execute("INSERT INTO snapshot_probe VALUES (" + inserted + ")");
                cluster.awaitReplication(Duration.ofSeconds(30));
                long after = tx.queryOne("SELECT count(*) FROM snapshot_probe", RowMapper.firstLong()).orElseThrow();
                int port2 = tx.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)).orElseThrow();
                String isolation = tx.queryOne("SHOW transaction_isolation", RowMapper.firstString()).orElseThrow();
                return List.of(before, after, port1, port2, isolation, tx.node());
            });
            assertThat(seen.get(0)).as("count before and after within one snapshot").isEqualTo(seen.get(1));
            assertThat(seen.get(2)).as("both statements on one node").isEqualTo(seen.get(3));
            assertThat(TestDatabases.replicaPorts(cluster)).contains((Integer) seen.get(2));
            assertThat(seen.get(4)).isEqualTo("repeatable read");
            assertThat((String) seen.get(5)).startsWith("replica-");
        }
        assertThatThrownBy(() -> db.inReadOnlyTransaction(tx -> tx.exec("INSERT INTO snapshot_probe VALUES (99)")))
                .isInstanceOf(DatabaseException.class)
                .satisfies(e -> assertThat(((DatabaseException) e).sqlState()).isEqualTo("25006"));
    }

    @Test
    void lockingAndSequenceReadsAreSentToThePrimary() {
        db.exec("INSERT INTO items(id, name) VALUES (?, ?) ON CONFLICT DO NOTHING", 3001L, "lockable");
        CLUSTER.cluster().awaitReplication(Duration.ofSeconds(30));
        long before = reroutes(Reroute.NEEDS_PRIMARY);

        Optional<Integer> port = db.queryOne("SELECT inet_server_port() FROM items WHERE id = ? FOR UPDATE",
                RowMapper.column(1, Integer.class), 3001L);
        assertThat(port).contains(primaryPort);
        Optional<Integer> skipLocked = db.queryOne("SELECT inet_server_port() FROM items WHERE id = ? FOR NO KEY UPDATE SKIP LOCKED",
                RowMapper.column(1, Integer.class), 3001L);
        assertThat(skipLocked).contains(primaryPort);
        Optional<Long> next = db.queryOne("SELECT nextval('item_ids')", RowMapper.firstLong());
        assertThat(next).isPresent();

        assertThat(reroutes(Reroute.NEEDS_PRIMARY) - before).isEqualTo(3);
    }

    @Test
    void parametersAreBoundNeverSpliced() {
        String hostile = "x'); DROP TABLE items; --";
        long rowsBefore = Long.parseLong(CLUSTER.cluster().primary().queryValue("SELECT count(*) FROM items"));
        db.exec("INSERT INTO items(id, name) VALUES (?, ?)", 4001L, hostile);
        // read on the primary's own connection: the table is still there, with exactly one row more
        assertThat(CLUSTER.cluster().primary().queryValue("SELECT to_regclass('items') IS NOT NULL")).as("the table items exists").isEqualTo("t");
        assertThat(Long.parseLong(CLUSTER.cluster().primary().queryValue("SELECT count(*) FROM items")))
                .as("rows of items after one insert").isEqualTo(rowsBefore + 1);
        Optional<String> stored = db.inTransaction(tx -> tx.queryOne("SELECT name FROM items WHERE id = ?", RowMapper.firstString(), 4001L));
        assertThat(stored).contains(hostile);
    }

    @Test
    void queryOneRefusesSeveralRows() {
        assertThatThrownBy(() -> db.queryOne("SELECT generate_series(1, 2)", RowMapper.firstLong()))
                .isInstanceOf(DatabaseException.class)
                .hasMessageContaining("expected at most one row but got 2");
    }

    @Test
    void failedStatementsCarrySqlStateAndNode() {
        assertThatThrownBy(() -> db.query("SELECT * FROM no_such_table", RowMapper.columnMap()))
                .isInstanceOf(DatabaseException.class)
                .satisfies(e -> {
                    DatabaseException d = (DatabaseException) e;
                    assertThat(d.sqlState()).isEqualTo("42P01");
                    assertThat(d.node()).startsWith("replica-");
                    assertThat(d.getMessage()).contains("no_such_table").contains("SQLSTATE 42P01");
                });
        assertThatThrownBy(() -> db.exec("INSERT INTO items(id, name) VALUES (?, ?)", 5001L, null))
                .isInstanceOf(DatabaseException.class)
                .satisfies(e -> assertThat(((DatabaseException) e).sqlState()).isEqualTo("23502"));
    }

    @Test
    void streamsLargeResultsFromACursorAndReturnsTheConnection() {
        long sum;
        try (Stream<Long> rows = db.stream("SELECT g FROM generate_series(1, 20000) g", RowMapper.firstLong())) {
            sum = rows.mapToLong(Long::longValue).sum();
        }
        assertThat(sum).isEqualTo(20000L * 20001L / 2);
        // every connection went back: the pools can serve more than maxOpenConns streams in sequence
        for (int i = 0; i < 60; i++) {
            try (Stream<Long> rows = db.stream("SELECT 1", RowMapper.firstLong())) {
                assertThat(rows.count()).isEqualTo(1);
            }
        }
        DbStats stats = db.stats();
        assertThat(stats.replicas()).allSatisfy(p -> assertThat(p.inUse()).isZero());
    }

    @Test
    void dataSourcesServeFrameworksWithTheSameRouting() throws Exception {
        DataSource read = db.readDataSource();
        DataSource primary = db.primaryDataSource();
        for (int i = 0; i < 4; i++) {
            try (Connection c = read.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT inet_server_port(), current_setting('default_transaction_read_only')")) {
                rs.next();
                assertThat(TestDatabases.replicaPorts(CLUSTER.cluster())).contains(rs.getInt(1));
                assertThat(rs.getString(2)).isEqualTo("on");
            }
        }
        try (Connection c = primary.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT inet_server_port(), current_setting('default_transaction_read_only')")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(primaryPort);
            assertThat(rs.getString(2)).isEqualTo("off");
        }
    }

    @Test
    void statementTimeoutAndApplicationNameApplyToEverySession() {
        DbConfig config = TestDatabases.config(CLUSTER.cluster()).statementTimeout(Duration.ofMillis(1500))
                .applicationName("routing-test").build();
        try (Database timed = Database.open(config)) {
            assertThat(timed.queryOne("SHOW statement_timeout", RowMapper.firstString())).contains("1500ms");
            Optional<String> inTx = timed.inTransaction(tx -> tx.queryOne("SHOW statement_timeout", RowMapper.firstString()));
            assertThat(inTx).contains("1500ms");
            assertThat(timed.queryOne("SELECT current_setting('application_name')", RowMapper.firstString())).contains("routing-test");
            assertThatThrownBy(() -> timed.exec("SELECT pg_sleep(5)"))
                    .isInstanceOf(DatabaseException.class)
                    .satisfies(e -> assertThat(((DatabaseException) e).sqlState()).isEqualTo("57014"));
        }
    }

    private static long reroutes(Reroute reason) {
        return (long) REGISTRY.get("fortress.db.read.reroutes").tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT))
                .functionCounter().count();
    }
}
