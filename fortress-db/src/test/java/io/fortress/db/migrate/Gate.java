package io.fortress.db.migrate;

import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * A table the test holds locked, so that a migration reading it ({@link #sql()}) stays inside that
 * migration until the test {@link #open()}s the gate: "while a migration runs" lasts exactly as long as
 * the test needs, however slow the machine, where a pg_sleep would last a fixed time.
 */
final class Gate implements AutoCloseable {
    private final LocalCluster cluster;
    private final String table;
    private final Connection holder;

    private Gate(LocalCluster cluster, String table, Connection holder) {
        this.cluster = cluster;
        this.table = table;
        this.holder = holder;
    }

    /** Creates {@code public.<name>} if needed and locks it until {@link #open()}. */
    static Gate closed(LocalCluster cluster, String name) throws SQLException {
        String table = "public." + name;
        cluster.primary().execute("CREATE TABLE IF NOT EXISTS " + table + "(id int)");
        Connection holder = cluster.primary().connect();
        try (Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
        } catch (SQLException | RuntimeException e) {
            holder.close();
            throw e;
        }
        return new Gate(cluster, table, holder);
    }

    /** A statement for a migration file that waits at the gate. */
    String sql() {
        return "SELECT count(*) FROM " + table + ";";
    }

    /** Waits until a session waits at the gate and returns its pid. */
    String awaitWaiter() {
        String query = "SELECT min(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%" + table
                + "%' AND pid <> pg_backend_pid()";
        return await().atMost(Duration.ofSeconds(30)).until(() -> TestDb.value(cluster, query), pid -> pid != null && !pid.isEmpty());
    }

    /** Lets the waiting migration go on. */
    void open() throws SQLException {
        if (!holder.isClosed()) {
            holder.rollback();
            holder.close();
        }
    }

    @Override
    public void close() throws SQLException {
        open();
    }
}
