package io.fortress.db.internal.pool;

import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.internal.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** A consistency token a node must have replayed before a read-your-writes read runs there. */
record ReplayGuard(ConsistencyToken token) {
    private static final String REPLAYED_SQL = "SELECT pg_last_wal_replay_lsn()::text";

    /**
     * Checks on a connection borrowed from {@code node} that the node replayed the token, asking the node
     * only when what is known of it does not settle it; refreshes what is known.
     *
     * @throws NotReplayedYet when the node is behind the token
     */
    void check(NodePool node, Connection c) throws SQLException {
        if (token.isReachedBy(node.knownReplayedLsn())) {
            return;
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(REPLAYED_SQL)) {
            rs.next();
            String replayed = rs.getString(1);
            if (replayed != null) {
                node.advanceReplayedLsn(Lsn.parse(replayed));
            }
        }
        if (!token.isReachedBy(node.knownReplayedLsn())) {
            throw NotReplayedYet.INSTANCE;
        }
    }

    /** Thrown when a replica has not yet replayed a read's token: the next one is tried. Cheap, it carries no stack trace. */
    static final class NotReplayedYet extends SQLException {
        private static final long serialVersionUID = 1L;
        private static final NotReplayedYet INSTANCE = new NotReplayedYet();

        private NotReplayedYet() {
            super("not replayed yet", null, 0);
            setStackTrace(new StackTraceElement[0]);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
