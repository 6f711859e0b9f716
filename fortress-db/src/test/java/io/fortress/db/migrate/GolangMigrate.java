package io.fortress.db.migrate;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The SQL protocol of golang-migrate v4's PostgreSQL driver, as its source shows
 * it, replayed against a real server: there is no golang-migrate binary or Docker on these machines.
 * Like {@code migrate -path dir -database postgres://.../fortress?search_path=<schema>}: the blocking
 * {@code pg_advisory_lock} of the CLI's key (database name with a leading slash), ensureVersionTable
 * through information_schema, {@code SELECT version, dirty ... LIMIT 1}, SetVersion as TRUNCATE +
 * INSERT in one transaction, and each file's body sent whole, between a dirty and a clean SetVersion.
 * Public for the fortress command's tests, which run the same sequences through the CLI.
 */
public final class GolangMigrate implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("^([0-9]+)_(.*)\\.(down|up)\\.(.*)$");

    private final Connection connection;
    private final String schema;
    private final Path dir;
    private final long lockKey;

    public GolangMigrate(LocalCluster cluster, String schema, Path dir) {
        this.schema = schema;
        this.dir = dir;
        Properties p = new Properties();
        p.setProperty("user", cluster.superuser());
        p.setProperty("password", cluster.password());
        p.setProperty("sslmode", "disable");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty("options", "-c search_path=" + schema);
        p.setProperty("ApplicationName", "golang-migrate-emulation");
        try {
            connection = DriverManager.getConnection("jdbc:postgresql://" + Node.HOST + ":" + cluster.primary().port() + "/"
                    + cluster.database(), p);
            this.lockKey = AdvisoryLockKey.forTable("/" + cluster.database(), currentSchema(), "schema_migrations");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key golang-migrate's CLI locks. */
    long lockKey() {
        return lockKey;
    }

    private String currentSchema() throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT CURRENT_SCHEMA()")) {
            rs.next();
            if (rs.getString(1) == null) {
                throw new IllegalStateException("golang-migrate: no schema (ErrNoSchema)");
            }
            return rs.getString(1);
        }
    }

    private String table() {
        return "\"" + schema + "\".\"schema_migrations\"";
    }

    /** {@code migrate version}: open (lock, ensure table, unlock) then read. */
    public long[] version() throws SQLException {
        open();
        return readVersion();
    }

    private long[] readVersion() throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT version, dirty FROM " + table() + " LIMIT 1")) {
            return rs.next() ? new long[] {rs.getLong(1), rs.getBoolean(2) ? 1 : 0} : new long[] {-1, 0};
        }
    }

    private void open() throws SQLException {
        lock();
        try {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT COUNT(1) FROM information_schema.tables WHERE table_schema = ? AND table_name = ? LIMIT 1")) {
                ps.setString(1, schema);
                ps.setString(2, "schema_migrations");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == 1) {
                        return;
                    }
                }
            }
            exec("CREATE TABLE IF NOT EXISTS " + table() + " (version bigint not null primary key, dirty boolean not null)");
        } finally {
            unlock();
        }
    }

    /** {@code migrate up [n]}: n &lt;= 0 means all. */
    public void up(int n) throws SQLException {
        open();
        lock();
        try {
            long[] v = readVersion();
            if (v[1] == 1) {
                throw new IllegalStateException("Dirty database version " + v[0] + ". Fix and force version.");
            }
            TreeMap<Long, Path[]> files = files();
            long current = v[0];
            int done = 0;
            while (n <= 0 || done < n) {
                Long next = files.higherKey(current);
                if (next == null) {
                    break;
                }
                setVersion(next, true);
                Path up = files.get(next)[0];
                if (up != null) {
                    exec(Files.readString(up));
                }
                setVersion(next, false);
                current = next;
                done++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            unlock();
        }
    }

    /** {@code migrate down n}. */
    public void down(int n) throws SQLException {
        open();
        lock();
        try {
            long[] v = readVersion();
            if (v[1] == 1) {
                throw new IllegalStateException("Dirty database version " + v[0] + ". Fix and force version.");
            }
            TreeMap<Long, Path[]> files = files();
            long current = v[0];
            for (int done = 0; done < n && current != -1; done++) {
                Long prev = files.lowerKey(current);
                long target = prev == null ? -1 : prev;
                setVersion(target, true);
                Path down = files.get(current)[1];
                if (down != null) {
                    exec(Files.readString(down));
                }
                setVersion(target, false);
                current = target;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            unlock();
        }
    }

    /** {@code migrate force V}: sets the version, clean, whatever it was (dirty included), with no source check. */
    public void force(long version) throws SQLException {
        open();
        lock();
        try {
            setVersion(version, false);
        } finally {
            unlock();
        }
    }

    /** golang-migrate's SetVersion. */
    void setVersion(long version, boolean dirty) throws SQLException {
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute("TRUNCATE " + table());
            if (version >= 0 || (version == -1 && dirty)) {
                st.execute("INSERT INTO " + table() + " (version, dirty) VALUES (" + version + ", " + dirty + ")");
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    private TreeMap<Long, Path[]> files() throws IOException {
        TreeMap<Long, Path[]> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    files.computeIfAbsent(Long.parseLong(m.group(1)), k -> new Path[2])[m.group(3).equals("up") ? 0 : 1] = p;
                }
            }
        }
        return files;
    }

    private void lock() throws SQLException {
        exec("SELECT pg_advisory_lock(" + lockKey + ")");
    }

    private void unlock() throws SQLException {
        exec("SELECT pg_advisory_unlock(" + lockKey + ")");
    }

    private void exec(String sql) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
