package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.cluster.PgBouncers;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.Pooler;
import io.fortress.db.api.RowMapper;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManager;
import io.fortress.db.backup.VerifyLevel;
import io.fortress.db.migrate.MigrationConfig;
import io.fortress.db.migrate.MigrationException;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationResult;
import io.fortress.db.migrate.MigrationSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fortress behind real PgBouncers (1.18, transaction pooling, two server connections per pool) in
 * front of the primary and each replica: no session state relied on, the migration lock and backups
 * on the servers' direct addresses, health seen through the poolers.
 */
@RequiresTool(Tool.PGBOUNCER)
class PgBouncerTest {
    /** The slowest read allowed while replica-1 fails: detection takes about two health timeouts (1 s each). */
    private static final Duration SLOWEST_READ = Duration.ofSeconds(5);
    /** How long each fault of replica-1 lasts at least: a read stuck until it ends takes twice the slowest allowed. */
    private static final Duration FAULT_HELD = SLOWEST_READ.multipliedBy(2);
    private static LocalCluster cluster;
    private static PgBouncers bouncers;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.builder().replicas(2).start();
        bouncers = PgBouncers.start(cluster, 2, false);
        cluster.primary().execute("CREATE TABLE items(id bigint PRIMARY KEY, v text NOT NULL, n int NOT NULL DEFAULT 0); "
                + "INSERT INTO items SELECT g, 'v' || g, 0 FROM generate_series(1, 1000) g");
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (bouncers != null) {
            bouncers.close();
        }
        if (cluster != null) {
            cluster.stop();
        }
    }

    /** The application's settings: every address a PgBouncer's. */
    private static DbConfig.Builder pooled() {
        return DbConfig.builder().host(bouncers.primaryAddress()).user(cluster.superuser()).password(cluster.password())
                .database(cluster.database()).replicaHosts(bouncers.replicaAddresses().split(","))
                .pooler(Pooler.PGBOUNCER_TRANSACTION).maxOpenConns(8)
                .connectTimeout(Duration.ofSeconds(5)).healthInterval(Duration.ofSeconds(1)).healthTimeout(Duration.ofSeconds(1))
                .healthFastInterval(Duration.ofMillis(200));
    }

    private static DbConfig.Builder pooledWithDirectHosts() {
        return pooled().directHosts(bouncers.directAddresses().split(","));
    }

    @Test
    void mixedLoadThroughTransactionPoolingHasNoErrorAndLeavesNoSessionState() throws Exception {
        AtomicLong ids = new AtomicLong(1_000_000);
        AtomicInteger stale = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        try (Database db = Database.open(pooled().build())) {
            ExecutorService threads = Executors.newFixedThreadPool(8);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                done.add(threads.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    for (int i = 0; i < 2000; i++) {
                        try {
                            mixedOperation(db, random, ids, stale);
                        } catch (RuntimeException e) {
                            errors.add(e);
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
            threads.shutdown();
            assertThat(errors).as("operations that failed through PgBouncer").isEmpty();
            assertThat(stale.get()).as("read-your-writes reads that missed their write").isZero();
            assertThat(db.stats().metrics().replicaQueries()).as("reads spread over the replicas").isGreaterThan(1000);
        }
        // nothing fortress did stayed on the servers' connections that PgBouncer lends to everyone
        for (PgBouncers.Front front : bouncers.fronts()) {
            try (Connection c = front.connect()) { // a session as any other client of the PgBouncer has
                for (int i = 0; i < 10; i++) {
                    assertThat(value(c, "SELECT current_setting('transaction_isolation') || ' '"
                            + " || current_setting('default_transaction_read_only') || ' ' || current_setting('statement_timeout') || ' '"
                            + " || (SELECT count(*) FROM pg_prepared_statements)"))
                            .as("session state of a server connection behind " + front).isEqualTo("read committed off 0 0");
                }
            }
            String idleInTransaction = front.node().queryValue("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'");
            assertThat(idleInTransaction).as("transactions left open on " + front.node().name()).isEqualTo("0");
        }
    }

    private static void mixedOperation(Database db, SplittableRandom random, AtomicLong ids, AtomicInteger stale) {
        int pick = random.nextInt(100);
        long existing = 1 + random.nextInt(1000);
        if (pick < 40) {
            db.queryOne("SELECT v FROM items WHERE id = ?", RowMapper.firstString(), existing).orElseThrow();
        } else if (pick < 55) {
            db.exec("INSERT INTO items(id, v) VALUES (?, ?)", ids.incrementAndGet(), "new");
        } else if (pick < 65) {
            long id = ids.incrementAndGet();
            db.exec("INSERT INTO items(id, v) VALUES (?, ?)", id, "ryw");
            ConsistencyToken token = db.consistencyToken();
            if (db.queryOne(Consistency.readYourWrites(token), "SELECT v FROM items WHERE id = ?", RowMapper.firstString(), id).isEmpty()) {
                stale.incrementAndGet();
            }
        } else if (pick < 80) {
            db.useTransaction(tx -> {
                tx.exec("UPDATE items SET n = n + 1 WHERE id = ?", existing);
                tx.exec("UPDATE items SET n = n - 1 WHERE id = ?", 1 + existing % 1000);
            });
        } else if (pick < 90) {
            long sum = db.inReadOnlyTransaction(tx -> tx.queryOne("SELECT sum(n) FROM items", RowMapper.firstLong()).orElse(0L)
                    + tx.queryOne("SELECT count(*) FROM items WHERE id <= 1000", RowMapper.firstLong()).orElse(0L));
            assertThat(sum).isGreaterThanOrEqualTo(1000);
        } else if (pick < 95) {
            try (Stream<String> rows = db.stream("SELECT v FROM items WHERE id BETWEEN ? AND ?", RowMapper.firstString(), existing,
                    existing + 300)) {
                assertThat(rows.count()).isPositive();
            }
        } else {
            db.query(Consistency.boundedStaleness(Duration.ofSeconds(5)), "SELECT id FROM items WHERE id > ? LIMIT 5",
                    RowMapper.firstLong(), existing);
        }
    }

    @Test
    void readYourWritesThroughThePoolersNeverReadsStale() throws Exception {
        try (Database db = Database.open(pooled().build())) {
            AtomicLong ids = new AtomicLong(5_000_000);
            AtomicInteger stale = new AtomicInteger();
            AtomicInteger onReplicas = new AtomicInteger();
            ExecutorService threads = Executors.newFixedThreadPool(4);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        long id = ids.incrementAndGet();
                        db.exec("INSERT INTO items(id, v) VALUES (?, ?)", id, "w" + id);
                        ConsistencyToken token = db.consistencyToken();
                        List<String> seen = db.query(Consistency.readYourWrites(token),
                                "SELECT v || ' ' || inet_server_port() FROM items WHERE id = ?", RowMapper.firstString(), id);
                        if (seen.isEmpty() || !seen.get(0).startsWith("w" + id + " ")) {
                            stale.incrementAndGet();
                        } else if (!seen.get(0).endsWith(" " + cluster.primary().port())) {
                            onReplicas.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
            threads.shutdown();
            assertThat(stale.get()).as("reads that did not see the caller's own write").isZero();
            assertThat(onReplicas.get()).as("read-your-writes reads served by a replica").isPositive();
        }
    }

    @Test
    void aReplicaRoleMadeReadOnlyOnTheServerTakesThePlaceOfThePerReadGuard() throws Exception {
        cluster.primary().execute("CREATE ROLE guarded_reader LOGIN PASSWORD 'guarded-pw'; GRANT SELECT ON items TO guarded_reader; "
                + "ALTER ROLE guarded_reader SET log_statement = 'all'; "
                + "CREATE ROLE reader LOGIN PASSWORD 'reader-pw'; GRANT SELECT ON items TO reader; "
                + "ALTER ROLE reader SET log_statement = 'all'; ALTER ROLE reader SET default_transaction_read_only = on");
        cluster.awaitReplication(Duration.ofSeconds(30));
        bouncers.addUser("guarded_reader", "guarded-pw");
        bouncers.addUser("reader", "reader-pw");

        long before = guardsLogged();
        readOnReplicas(pooled().replicaUser("guarded_reader").replicaPassword("guarded-pw"));
        long guarded = guardsLogged() - before;
        assertThat(guarded).as("reads that carried the read-only guard with an ordinary role").isGreaterThanOrEqualTo(200);

        before = guardsLogged();
        readOnReplicas(pooled().replicaUser("reader").replicaPassword("reader-pw"));
        assertThat(guardsLogged() - before).as("reads that carried it with a role whose sessions are read-only").isZero();
    }

    private static void readOnReplicas(DbConfig.Builder config) {
        try (Database db = Database.open(config.build())) {
            await().atMost(Duration.ofSeconds(15)).until(() -> db.nodes().stream().allMatch(n -> n.state().isGood()));
            for (int i = 0; i < 200; i++) {
                assertThat(db.queryOne("SELECT v FROM items WHERE id = ?", RowMapper.firstString(), 1 + i)).isPresent();
            }
            assertThat(db.stats().metrics().replicaQueries()).isGreaterThanOrEqualTo(200);
        }
    }

    /** How often the replicas' logs show the per-read guard (log_statement = 'all' for the test roles only). */
    private static long guardsLogged() throws Exception {
        long n = 0;
        for (Node replica : cluster.replicas()) {
            try (Stream<String> lines = Files.lines(replica.logFile())) {
                n += lines.filter(l -> l.contains("set_config('transaction_read_only'")).count();
            }
        }
        return n;
    }

    @Test
    void twoMigratorsThroughThePoolerSettingsApplyEachVersionOnceAndLeaveNoLock() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("migrations"));
        Files.writeString(dir.resolve("1_accounts.up.sql"), "CREATE TABLE accounts(id bigint PRIMARY KEY); SELECT pg_sleep(1);");
        Files.writeString(dir.resolve("1_accounts.down.sql"), "DROP TABLE accounts;");
        Files.writeString(dir.resolve("2_balance.up.sql"), "ALTER TABLE accounts ADD COLUMN balance bigint NOT NULL DEFAULT 0;");
        Files.writeString(dir.resolve("2_balance.down.sql"), "ALTER TABLE accounts DROP COLUMN balance;");
        Files.writeString(dir.resolve("3_index.up.sql"), "CREATE INDEX accounts_balance ON accounts(balance);");
        Files.writeString(dir.resolve("3_index.down.sql"), "DROP INDEX accounts_balance;");
        cluster.primary().execute("CREATE SCHEMA IF NOT EXISTS ledger");
        MigrationConfig config = MigrationConfig.builder().schema("ledger").lockTimeout(Duration.ofSeconds(60)).build();
        try (Database one = Database.open(pooledWithDirectHosts().build()); Database two = Database.open(pooledWithDirectHosts().build())) {
            CompletableFuture<MigrationResult> first = CompletableFuture.supplyAsync(
                    () -> MigrationManager.create(one, MigrationSource.directory(dir), config).up());
            CompletableFuture<MigrationResult> second = CompletableFuture.supplyAsync(
                    () -> MigrationManager.create(two, MigrationSource.directory(dir), config).up());
            int applied = first.get(2, TimeUnit.MINUTES).applied().size() + second.get(2, TimeUnit.MINUTES).applied().size();
            assertThat(applied).as("migrations applied by the two migrators together").isEqualTo(3);
            assertThat(MigrationManager.create(one, MigrationSource.directory(dir), config).status().version()).isEqualTo(3);
        }
        Node primary = cluster.primary();
        assertThat(primary.queryValue("SELECT version || ' ' || dirty FROM ledger.schema_migrations")).isEqualTo("3 false");
        assertThat(primary.queryValue("SELECT count(*) FROM ledger.schema_migrations_history WHERE kind = 'up' AND status = 'success'"))
                .as("each version applied once").isEqualTo("3");
        assertThat(primary.queryValue("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).as("advisory locks left").isEqualTo("0");
    }

    @Test
    void withoutDirectHostsMigrationsAndBackupsAreRefusedNamingTheSettingAndNothingIsWritten() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("refused"));
        Files.writeString(dir.resolve("1_t.up.sql"), "CREATE TABLE refused_t(id int);");
        Files.writeString(dir.resolve("1_t.down.sql"), "DROP TABLE refused_t;");
        cluster.primary().execute("CREATE SCHEMA IF NOT EXISTS refused");
        MigrationConfig config = MigrationConfig.builder().schema("refused").build();
        Path backups = Files.createDirectories(tmp.resolve("backups"));
        try (Database db = Database.open(pooled().build())) {
            MigrationManager manager = MigrationManager.create(db, MigrationSource.directory(dir), config);
            assertThat(manager.status().latestVersion()).as("reports read through the pooler").isEqualTo(1);
            assertThat(manager.status().version()).as("no version yet").isEqualTo(-1);
            assertThatThrownBy(manager::up).isInstanceOf(MigrationException.class).hasMessageContaining("DB_DIRECT_HOSTS");
            BackupManager backup = BackupManager.create(db, BackupConfig.builder().backupDir(backups).build());
            assertThatThrownBy(backup::backup).isInstanceOf(BackupException.class).hasMessageContaining("DB_DIRECT_HOSTS");
        }
        assertThat(cluster.primary().queryValue("SELECT count(*) FROM pg_tables WHERE schemaname = 'refused'")).isEqualTo("0");
        try (Stream<Path> left = Files.list(backups)) {
            assertThat(left.filter(p -> !p.getFileName().toString().startsWith(".")).toList()).as("files in the backup folder").isEmpty();
        }
    }

    @Test
    void aBackupTakenWithThePoolerSettingsVerifies() throws Exception {
        Path backups = Files.createDirectories(tmp.resolve("verified"));
        try (Database db = Database.open(pooledWithDirectHosts().build())) {
            BackupManager manager = BackupManager.create(db, BackupConfig.builder().backupDir(backups).build());
            BackupInfo info = manager.backup();
            assertThat(info.manifest().source().port()).as("pg_dump went to the primary server itself").isEqualTo(cluster.primary().port());
            assertThat(info.manifest().contents().tables()).anySatisfy(t -> {
                assertThat(t.name()).isEqualTo("items");
                assertThat(t.rows()).isGreaterThanOrEqualTo(1000);
            });
            assertThat(manager.verifyBackup(info.path(), VerifyLevel.RESTORE_DRILL).passed()).isTrue();
        }
    }

    @Test
    void readsMoveOffAReplicaWhoseServerOrPgBouncerStopsOrFreezes() throws Exception {
        Node victim = cluster.replica(1);
        PgBouncers.Front front = bouncers.front(victim);
        try (Database db = Database.open(pooled().build());
             Load readers = new Load(8, () -> db.queryOne("SELECT v FROM items WHERE id = ?", RowMapper.firstString(), 7))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> readers.calls().size() > 2000);
            List<String> outcomes = new ArrayList<>();

            // each fault lasts FAULT_HELD at least; its reads are judged once the replica is back in rotation,
            // so a read stuck until the fault ended is in the window with its whole wait
            long from = System.nanoTime();
            victim.stop(); // crash: PgBouncer still accepts, its server is gone
            long to = awaitOutAndHold(db, from);
            victim.start(); // return
            awaitBack(db, readers);
            outcomes.add(phase("server stopped", readers, from, to));

            from = System.nanoTime();
            victim.freeze(); // hang: TCP accepted by PgBouncer and by the server, nothing answers
            to = awaitOutAndHold(db, from);
            victim.thaw();
            awaitBack(db, readers);
            outcomes.add(phase("server frozen", readers, from, to));

            from = System.nanoTime();
            bouncers.freeze(front); // the pooler hangs: TCP accepted, nothing answers
            to = awaitOutAndHold(db, from);
            bouncers.thaw(front);
            awaitBack(db, readers);
            outcomes.add(phase("PgBouncer frozen", readers, from, to));

            from = System.nanoTime();
            bouncers.stop(front); // the pooler itself gone
            to = awaitOutAndHold(db, from);
            bouncers.restart(front);
            awaitBack(db, readers);
            outcomes.add(phase("PgBouncer stopped", readers, from, to));
            System.out.println("reads behind PgBouncer while replica-1 failed: " + outcomes);
            assertThat(outcomes).allMatch(o -> o.endsWith(", 0 failed"));
        } finally {
            victim.thaw();
            bouncers.thaw(front);
            if (!victim.isRunning()) {
                victim.start();
            }
            bouncers.restart(front);
        }
    }

    /**
     * Waits until replica-1 is out of rotation and the fault begun at {@code from} has lasted
     * {@link #FAULT_HELD}; returns the time the fault is about to end.
     */
    private static long awaitOutAndHold(Database db, long from) throws InterruptedException {
        await().atMost(Duration.ofSeconds(15)).until(() -> !replica1(db).state().isGood());
        long left = from + FAULT_HELD.toNanos() - System.nanoTime();
        if (left > 0) {
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left) + 1);
        }
        return System.nanoTime();
    }

    private static void awaitBack(Database db, Load readers) {
        await().atMost(Duration.ofSeconds(30)).until(() -> replica1(db).state().isGood());
        long now = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).until(() -> readers.completedAfter(now) > 500);
    }

    private static NodeHealth replica1(Database db) {
        return db.nodes().get(1);
    }

    /**
     * The reads running at some point of the fault [{@code from}, {@code to}], taken once the replica is back:
     * none may fail, and the slowest (a read still running counted with its age) is bounded by the health
     * checker's detection, well below how long the fault lasted.
     */
    private static String phase(String what, Load readers, long from, long to) {
        assertThat(Duration.ofNanos(to - from)).as("how long the replica's " + what + " lasted").isGreaterThanOrEqualTo(FAULT_HELD);
        List<Load.Call> calls = readers.callsDuring(from, to);
        List<Throwable> failures = Load.failures(calls);
        assertThat(failures).as("reads that failed with the replica's " + what).isEmpty();
        assertThat(Load.longest(calls)).as("the longest read with the replica's " + what).isLessThan(SLOWEST_READ);
        return what + ": " + calls.size() + " reads, longest " + Load.longest(calls).toMillis() + " ms, " + failures.size() + " failed";
    }

    @Test
    void settingsThatCannotWorkBehindThePoolerAreRefusedWithWhatToDo() {
        assertThatThrownBy(() -> pooled().statementTimeout(Duration.ofSeconds(5)).build()).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("DB_STATEMENT_TIMEOUT").hasMessageContaining("ALTER ROLE");
        assertThatThrownBy(() -> pooled().directHosts(cluster.primary().address()).build()).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("(DB_DIRECT_HOSTS) lists 1 address").hasMessageContaining("list 3");
        assertThatThrownBy(() -> pooled().directHosts("127.0.0.1", "127.0.0.1:1", "127.0.0.1:2").build())
                .isInstanceOf(DbConfigException.class).hasMessageContaining("entry '127.0.0.1' has no port");
        String[] selfPointing = bouncers.directAddresses().split(",");
        selfPointing[1] = bouncers.front(cluster.replica(1)).address();
        assertThatThrownBy(() -> pooled().directHosts(selfPointing).build())
                .isInstanceOf(DbConfigException.class).hasMessageContaining("is the PgBouncer's own address");
        assertThatThrownBy(() -> pooled().pooler(Pooler.NONE).directHosts(bouncers.directAddresses().split(",")).build())
                .isInstanceOf(DbConfigException.class).hasMessageContaining("DB_POOLER");
        assertThatThrownBy(() -> DbConfig.builder().patroniUrls("http://127.0.0.1:8008").pooler(Pooler.PGBOUNCER_TRANSACTION).build())
                .isInstanceOf(DbConfigException.class).hasMessageContaining("DB_PATRONI_URL");
        assertThatThrownBy(() -> DbConfig.fromEnv(java.util.Map.of("DB_POOLER", "pgbouncer"))).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("DB_POOLER").hasMessageContaining("pgbouncer-transaction");
    }

    @Test
    void aSessionChangeOnAPooledConnectionIsRefusedNamingThePooler() throws Exception {
        try (Database db = Database.open(pooled().build()); Connection c = db.primaryDataSource().getConnection()) {
            assertThatThrownBy(() -> c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE))
                    .isInstanceOf(java.sql.SQLFeatureNotSupportedException.class).hasMessageContaining("DB_POOLER")
                    .hasMessageContaining("SET TRANSACTION ISOLATION LEVEL");
            assertThatThrownBy(() -> c.setSchema("ledger")).hasMessageContaining("DB_POOLER");
            assertThat(value(c, "SELECT current_setting('transaction_isolation')")).isEqualTo("read committed");
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String value(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
