package io.fortress.bench;

import io.fortress.cluster.PatroniCluster;
import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * W5, the write gap of a Patroni switchover: on a three-member Patroni cluster, one writer through
 * fortress (DB_PATRONI_URL, default health interval) and one through a pgjdbc multi-host URL with
 * {@code targetServerType=primary} (reconnecting at once after a failure: pgjdbc at its best) insert
 * continuously while Patroni switches over, nine times. A probe on the candidate's own connection asks
 * {@code pg_is_in_recovery()} every 2 ms; the gap of a writer is the time from the candidate first
 * accepting writes to that writer's first write acknowledged there. Target: fortress ≤ 1 s median and
 * no worse than pgjdbc.
 */
final class SwitchoverBench {
    private static final String NAME = "W5 switchover write gap";
    private static final int SWITCHOVERS = 9;

    private final Results results;

    SwitchoverBench(Results results) {
        this.results = results;
    }

    void run() throws Exception {
        Figures fortressGap = new Figures();
        Figures pgjdbcGap = new Figures();
        try (PatroniCluster cluster = PatroniCluster.builder().members(3).start()) {
            try (Connection c = cluster.connect(cluster.leader().name()); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE switchover_gap(id bigserial PRIMARY KEY, who text NOT NULL)");
            }
            DbConfig config = DbConfig.builder().patroniUrls(cluster.restUrls().toArray(String[]::new)).user(cluster.user())
                    .password(cluster.password()).database(cluster.database()).maxOpenConns(4).maxIdleConns(1).build();
            String multiHost = "jdbc:postgresql://" + cluster.members().stream().map(PatroniCluster.Member::address)
                    .collect(Collectors.joining(",")) + "/" + cluster.database() + "?targetServerType=primary&connectTimeout=2";
            try (Database db = Database.open(config)) {
                for (int i = 0; i < SWITCHOVERS; i++) {
                    cluster.awaitStreaming(Duration.ofSeconds(60));
                    String leader = cluster.leader().name();
                    String candidate = cluster.members().stream().map(PatroniCluster.Member::name).filter(n -> !n.equals(leader))
                            .findFirst().orElseThrow();
                    int port = cluster.port(candidate);
                    Writer viaFortress = new Writer(port, () -> db.inTransaction(tx -> tx.queryOne(
                            "INSERT INTO switchover_gap(who) VALUES ('fortress') RETURNING inet_server_port()", RowMapper.column(1, Integer.class))
                            .orElseThrow()));
                    Writer viaPgjdbc = new Writer(port, new PgjdbcWrite(multiHost, cluster.user(), cluster.password()));
                    long accepted;
                    try (Connection probe = cluster.connect(candidate)) {
                        viaFortress.start();
                        viaPgjdbc.start();
                        Thread.sleep(500);
                        Thread switcher = new Thread(() -> cluster.switchover(candidate));
                        switcher.start();
                        accepted = acceptsWritesAt(probe);
                        switcher.join(60_000);
                        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                        while ((viaFortress.firstThere.get() == 0 || viaPgjdbc.firstThere.get() == 0) && System.nanoTime() < deadline) {
                            Thread.sleep(10);
                        }
                    } finally {
                        viaFortress.stop();
                        viaPgjdbc.stop();
                    }
                    double fortressMs = gapMillis(viaFortress, accepted);
                    double pgjdbcMs = gapMillis(viaPgjdbc, accepted);
                    fortressGap.add(fortressMs);
                    pgjdbcGap.add(pgjdbcMs);
                    BenchMain.log(String.format(java.util.Locale.ROOT, "W5 switchover %d to %s: fortress %.0f ms, pgjdbc %.0f ms after it took writes",
                            i + 1, candidate, fortressMs, pgjdbcMs));
                }
            }
        }
        results.compare(NAME, "fortress, DB_PATRONI_URL", "pgjdbc targetServerType=primary", "gap ms", fortressGap, pgjdbcGap,
                "<= 1000 ms, ratio <= 1");
    }

    private static double gapMillis(Writer writer, long acceptedAt) {
        long first = writer.firstThere.get();
        return first == 0 ? Double.NaN : Math.max(0, first - acceptedAt) / 1e6;
    }

    /** Polls the candidate's own connection until it is out of recovery; returns when (System.nanoTime). */
    private static long acceptsWritesAt(Connection probe) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try (Statement s = probe.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return System.nanoTime();
                }
            }
            Thread.sleep(2);
        }
        throw new IllegalStateException("the candidate did not leave recovery within 60 s");
    }

    /** One write; returns the port of the server that acknowledged it. */
    @FunctionalInterface
    private interface Write {
        int run() throws Exception;
    }

    /** A pgjdbc connection from a multi-host URL, opened again at once after any failure. */
    private static final class PgjdbcWrite implements Write {
        private final String url;
        private final Properties login = new Properties();
        private Connection connection;

        PgjdbcWrite(String url, String user, String password) {
            this.url = url;
            login.setProperty("user", user);
            login.setProperty("password", password);
        }

        @Override
        public int run() throws SQLException {
            try {
                if (connection == null) {
                    connection = DriverManager.getConnection(url, login);
                }
                try (Statement s = connection.createStatement();
                     ResultSet rs = s.executeQuery("INSERT INTO switchover_gap(who) VALUES ('pgjdbc') RETURNING inet_server_port()")) {
                    rs.next();
                    return rs.getInt(1);
                }
            } catch (SQLException e) {
                if (connection != null) {
                    connection.close();
                    connection = null;
                }
                throw e;
            }
        }
    }

    /** Writes in a loop on its own thread; remembers when a write was first acknowledged by the candidate. */
    private static final class Writer {
        final AtomicLong firstThere = new AtomicLong();
        private final int candidatePort;
        private final Write write;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Writer(int candidatePort, Write write) {
            this.candidatePort = candidatePort;
            this.write = write;
            this.thread = new Thread(this::loop, "w5-writer");
        }

        void start() {
            thread.start();
        }

        private void loop() {
            while (running.get()) {
                try {
                    if (write.run() == candidatePort) {
                        firstThere.compareAndSet(0, System.nanoTime());
                    }
                } catch (Exception e) {
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }
    }
}
