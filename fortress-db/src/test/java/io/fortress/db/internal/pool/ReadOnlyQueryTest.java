package io.fortress.db.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.PgBouncers;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.api.RowMapper;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The replicas' read-only guard behind PgBouncer in transaction pooling, on a writable server so that
 * only the guard can refuse the write: it holds for the read's own transaction and nothing of it stays
 * on the server connection PgBouncer lends to the next client.
 */
@RequiresTool(Tool.PGBOUNCER)
class ReadOnlyQueryTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);

    @Test
    void aWriteInAGuardedReadFailsAndLeavesNeitherTransactionNorSettingBehind() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE IF NOT EXISTS guarded(id int)");
        try (PgBouncers bouncers = PgBouncers.start(cluster, 1, false); Connection c = bouncers.front(cluster.primary()).connect()) {
            assertThatThrownBy(() -> Jdbc.readOnlyQuery(c, "INSERT INTO guarded VALUES (?) RETURNING id", new Object[] {1},
                    RowMapper.firstLong()))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("25006"));
            assertThat(((BaseConnection) c.unwrap(BaseConnection.class)).getTransactionState()).isEqualTo(TransactionState.IDLE);
            assertThat(Jdbc.query(c, "SELECT count(*) FROM guarded", null, RowMapper.firstLong())).containsExactly(0L);

            assertThat(Jdbc.readOnlyQuery(c, "SELECT current_setting('transaction_read_only') || ?", new Object[] {"!"},
                    RowMapper.firstString())).containsExactly("on!");
            // one server connection behind PgBouncer: the next client's statement runs where the guard ran
            assertThat(Jdbc.query(c, "SELECT current_setting('transaction_read_only')", null, RowMapper.firstString())).containsExactly("off");
            assertThatThrownBy(() -> Jdbc.readOnlyQuery(c, "SELECT 1 / ?", new Object[] {0}, RowMapper.firstLong()))
                    .isInstanceOf(SQLException.class).hasMessageContaining("division by zero");
            assertThat(Jdbc.execute(c, "INSERT INTO guarded VALUES (?)", new Object[] {2})).isEqualTo(1);
            assertThatThrownBy(() -> Jdbc.readOnlyQuery(c, "SELECT ?::int; SELECT 2", new Object[] {1}, RowMapper.firstLong()))
                    .as("like an unguarded query, more than one result is an error").hasMessageContaining("Multiple ResultSets");
        }
        // the guard makes the server log nothing (SET TRANSACTION outside BEGIN would log a WARNING per read)
        assertThat(java.nio.file.Files.readString(cluster.primary().logFile())).doesNotContain("can only be used in transaction blocks");
    }
}
