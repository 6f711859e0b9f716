package io.fortress.db.internal.backup.pitr;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A writer doing autocommit INSERTs on its own thread and recording, for each, when it was sent and
 * when the server acknowledged the commit (this machine's clock, which the server shares).
 */
final class CommitLedger implements AutoCloseable {
    /** One acknowledged commit. */
    record Commit(long id, Instant sent, Instant acknowledged) {
    }

    private final List<Commit> commits = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile Throwable failure;

    private CommitLedger(Connector connector, int port) {
        thread = new Thread(() -> {
            try (Connection c = connector.open(port); PreparedStatement ps = c.prepareStatement("INSERT INTO ledger DEFAULT VALUES RETURNING id")) {
                while (running.get()) {
                    Instant sent = Instant.now();
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        commits.add(new Commit(rs.getLong(1), sent, Instant.now()));
                    }
                    Thread.sleep(1);
                }
            } catch (SQLException | InterruptedException | RuntimeException e) {
                failure = e;
            }
        }, "ledger-writer");
    }

    /** Creates the ledger table when missing and starts writing. */
    static CommitLedger start(Connector connector, int port) throws SQLException {
        try (Connection c = connector.open(port); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS ledger (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())");
        }
        CommitLedger ledger = new CommitLedger(connector, port);
        ledger.thread.start();
        return ledger;
    }

    List<Commit> commits() {
        return List.copyOf(commits);
    }

    int size() {
        return commits.size();
    }

    /** The ids in the ledger table of the server on {@code port}. */
    static Set<Long> idsOn(Connector connector, int port) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Connection c = connector.open(port); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM ledger")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(30_000);
        if (failure != null) {
            throw new IllegalStateException("the ledger writer failed", failure);
        }
    }
}
