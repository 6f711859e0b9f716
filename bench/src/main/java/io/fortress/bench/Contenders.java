package io.fortress.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.cluster.PgBouncers;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.Pooler;
import io.fortress.db.api.RowMapper;
import io.fortress.db.api.SslMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/** The workloads, written once against raw HikariCP and once against fortress. */
final class Contenders {
    static final String POINT_READ = "SELECT abalance FROM pgbench_accounts WHERE aid = ?";

    private Contenders() {
    }

    static HikariDataSource rawPool(LocalCluster cluster, Node node, int size) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("raw-" + node.name());
        hc.setJdbcUrl(node.jdbcUrl());
        hc.setUsername(cluster.superuser());
        hc.setPassword(cluster.password());
        hc.setMaximumPoolSize(size);
        hc.setMinimumIdle(size);
        hc.addDataSourceProperty("sslmode", "disable");
        return new HikariDataSource(hc);
    }

    /**
     * A raw pool through the PgBouncer at {@code address}: statements unnamed ({@code prepareThreshold=0}),
     * as every pgjdbc client of PgBouncer 1.18 in transaction pooling must.
     */
    static HikariDataSource rawPoolThrough(LocalCluster cluster, String address, int size) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("raw-pgbouncer-" + address);
        hc.setJdbcUrl("jdbc:postgresql://" + address + "/" + cluster.database());
        hc.setUsername(cluster.superuser());
        hc.setPassword(cluster.password());
        hc.setMaximumPoolSize(size);
        hc.setMinimumIdle(size);
        hc.addDataSourceProperty("sslmode", "disable");
        hc.addDataSourceProperty("prepareThreshold", "0");
        return new HikariDataSource(hc);
    }

    /**
     * A Database through the PgBouncers (DB_POOLER=pgbouncer-transaction), like {@link #fortress}; the
     * replicas' pools log in as {@code replicaUser} when it is not null.
     */
    static Database fortressThrough(LocalCluster cluster, PgBouncers bouncers, boolean withReplicas, int size, String replicaUser,
                                    String replicaPassword) {
        DbConfig.Builder b = DbConfig.builder().host(bouncers.primaryAddress()).user(cluster.superuser())
                .password(cluster.password()).database(cluster.database()).maxOpenConns(size).maxIdleConns(size)
                .sslMode(SslMode.DISABLE).pooler(Pooler.PGBOUNCER_TRANSACTION);
        if (withReplicas) {
            b.replicaHosts(bouncers.replicaAddresses().split(","));
        }
        if (replicaUser != null) {
            b.replicaUser(replicaUser).replicaPassword(replicaPassword);
        }
        return Database.open(b.build());
    }

    /** A Database on the cluster with {@code size} connections per pool, all kept open; the replicas only if asked. */
    static Database fortress(LocalCluster cluster, boolean withReplicas, int size) {
        return fortress(cluster, withReplicas, false, size, null);
    }

    /** As {@link #fortress(LocalCluster, boolean, int)}, with hedged reads (DB_HEDGE_READS) on or off, and its meters in {@code registry} (none when null). */
    static Database fortress(LocalCluster cluster, boolean withReplicas, boolean hedgeReads, int size,
                             io.micrometer.core.instrument.MeterRegistry registry) {
        DbConfig.Builder b = DbConfig.builder().host(Node.HOST).port(cluster.primary().port()).user(cluster.superuser())
                .password(cluster.password()).database(cluster.database()).maxOpenConns(size).maxIdleConns(size)
                .sslMode(SslMode.DISABLE).hedgeReads(hedgeReads);
        if (withReplicas) {
            b.replicaHosts(cluster.replicaAddresses().split(","));
        }
        return Database.open(b.build(), registry);
    }

    static int randomAccount(SplittableRandom random, int scale) {
        return 1 + random.nextInt(scale * 100_000);
    }

    /** A point read through one raw pool. */
    static LoadRunner.Operation rawRead(HikariDataSource pool, int scale) {
        return random -> readOn(pool, randomAccount(random, scale));
    }

    /** A point read through a hand-written round robin over raw pools. */
    static LoadRunner.Operation roundRobinRead(List<HikariDataSource> pools, int scale) {
        AtomicLong next = new AtomicLong();
        return random -> readOn(pools.get((int) Math.floorMod(next.getAndIncrement(), (long) pools.size())), randomAccount(random, scale));
    }

    static LoadRunner.Operation fortressRead(Database db, int scale) {
        RowMapper<Integer> balance = row -> row.getInt(1); // the same work as the raw contenders' getInt
        return random -> db.queryOne(POINT_READ, balance, randomAccount(random, scale));
    }

    private static void readOn(HikariDataSource pool, int aid) throws Exception {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(POINT_READ)) {
            ps.setInt(1, aid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                rs.getInt(1);
            }
        }
    }

    /** pgbench's built-in TPC-B-like transaction, through a raw pool. */
    static LoadRunner.Operation rawTpcb(HikariDataSource pool, int scale) {
        return random -> {
            Tpcb t = Tpcb.next(random, scale);
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                try {
                    update(c, "UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?", t.delta, t.aid);
                    try (PreparedStatement ps = c.prepareStatement("SELECT abalance FROM pgbench_accounts WHERE aid = ?")) {
                        ps.setInt(1, t.aid);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                        }
                    }
                    update(c, "UPDATE pgbench_tellers SET tbalance = tbalance + ? WHERE tid = ?", t.delta, t.tid);
                    update(c, "UPDATE pgbench_branches SET bbalance = bbalance + ? WHERE bid = ?", t.delta, t.bid);
                    try (PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)")) {
                        ps.setInt(1, t.tid);
                        ps.setInt(2, t.bid);
                        ps.setInt(3, t.aid);
                        ps.setInt(4, t.delta);
                        ps.executeUpdate();
                    }
                    c.commit();
                } catch (Exception e) {
                    c.rollback();
                    throw e;
                }
            }
        };
    }

    /** The same transaction through fortress. */
    static LoadRunner.Operation fortressTpcb(Database db, int scale) {
        RowMapper<Integer> balance = RowMapper.column(1, Integer.class);
        return random -> {
            Tpcb t = Tpcb.next(random, scale);
            db.useTransaction(tx -> {
                tx.exec("UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?", t.delta, t.aid);
                tx.queryOne("SELECT abalance FROM pgbench_accounts WHERE aid = ?", balance, t.aid);
                tx.exec("UPDATE pgbench_tellers SET tbalance = tbalance + ? WHERE tid = ?", t.delta, t.tid);
                tx.exec("UPDATE pgbench_branches SET bbalance = bbalance + ? WHERE bid = ?", t.delta, t.bid);
                tx.exec("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                        t.tid, t.bid, t.aid, t.delta);
            });
        };
    }

    /** A write, then a read of it with the consistency token (served by a replica that replayed it). */
    static LoadRunner.Operation writeThenReadWithToken(Database db, int scale) {
        RowMapper<Integer> balance = RowMapper.column(1, Integer.class);
        return random -> {
            int aid = randomAccount(random, scale);
            db.exec("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = ?", aid);
            ConsistencyToken token = db.consistencyToken();
            db.queryOne(Consistency.readYourWrites(token), POINT_READ, balance, aid);
        };
    }

    /** A write, then a read of it from the primary. */
    static LoadRunner.Operation writeThenReadFromPrimary(Database db, int scale) {
        RowMapper<Integer> balance = RowMapper.column(1, Integer.class);
        return random -> {
            int aid = randomAccount(random, scale);
            db.exec("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = ?", aid);
            db.queryOne(Consistency.strong(), POINT_READ, balance, aid);
        };
    }

    private static void update(Connection c, String sql, int a, int b) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, a);
            ps.setInt(2, b);
            ps.executeUpdate();
        }
    }

    private record Tpcb(int aid, int bid, int tid, int delta) {
        static Tpcb next(SplittableRandom random, int scale) {
            return new Tpcb(1 + random.nextInt(scale * 100_000), 1 + random.nextInt(scale), 1 + random.nextInt(scale * 10),
                    random.nextInt(-5000, 5001));
        }
    }
}
