package io.fortress.db.migrate;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** Connections and queries against a LocalCluster's primary for the migration tests. */
final class TestDb {
    private TestDb() {
    }

    static DataSource dataSource(LocalCluster cluster) {
        return dataSource(cluster, cluster.superuser(), cluster.password());
    }

    static DataSource dataSource(LocalCluster cluster, String user, String password) {
        return dataSource(cluster, cluster.database(), user, password);
    }

    static DataSource dataSource(LocalCluster cluster, String database, String user, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {Node.HOST});
        ds.setPortNumbers(new int[] {cluster.primary().port()});
        ds.setDatabaseName(database);
        ds.setUser(user);
        ds.setPassword(password);
        ds.setSslMode("disable");
        ds.setApplicationName("migration-test");
        return ds;
    }

    static MigrationManager manager(LocalCluster cluster, String schema, Path dir) {
        return manager(cluster, schema, dir, b -> b);
    }

    static MigrationManager manager(LocalCluster cluster, String schema, Path dir, UnaryOperator<MigrationConfig.Builder> config) {
        return MigrationManager.create(dataSource(cluster), MigrationSource.directory(dir),
                config.apply(MigrationConfig.builder().schema(schema)).build());
    }

    static String value(LocalCluster cluster, String sql) {
        return cluster.primary().queryValue(sql);
    }

    static long count(LocalCluster cluster, String sql) {
        return Long.parseLong(value(cluster, sql));
    }

    /** Every row of a query on the primary, as the superuser, columns joined by '|'. */
    static List<String> rows(LocalCluster cluster, String sql) {
        try (Connection c = cluster.primary().connect(); Statement st = c.createStatement()) {
            return rows(st, sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Every row of a query in the statement's session, columns joined by '|'. */
    static List<String> rows(Statement st, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    row.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    static void execute(LocalCluster cluster, String sql) {
        cluster.primary().execute(sql);
    }
}
