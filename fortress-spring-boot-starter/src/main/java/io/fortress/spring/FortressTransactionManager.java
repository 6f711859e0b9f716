package io.fortress.spring;

import io.fortress.db.Database;
import io.fortress.db.api.Consistency;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.DefaultTransactionStatus;

/**
 * Spring's JDBC transaction manager, routing each transaction before it takes its connection:
 * {@code readOnly} ones to one replica for the whole transaction (one snapshot), the others to the
 * primary. Spring's own manager takes the connection before it marks the transaction read-only
 * (spring-framework#25323), so a routing DataSource alone cannot see the flag in time. The starter
 * registers it when the application has no JPA {@code EntityManagerFactory}; with one, it registers
 * {@link FortressJpaTransactionManager}, which routes the same way.
 *
 * <p>A read-only transaction's consistency comes from a label on {@code @Transactional}:
 * {@code fortress:strong}, {@code fortress:bounded-staleness=5s}, {@code fortress:read-your-writes}
 * (the token of the current web request, see {@link ConsistencyTokenFilter}); without one it is
 * {@link Consistency#any()} (a replica within DB_MAX_REPLICA_LAG), or, in a web request that has
 * committed a write, a replica that has replayed it. In a web request, each read-write transaction
 * that commits hands the request a token covering it.
 *
 * <p>Behind PgBouncer in transaction pooling (DB_POOLER), a transaction's isolation level is set in
 * the transaction ({@code SET TRANSACTION ISOLATION LEVEL}), not on the session as Spring does, since
 * the session is lent to other clients afterwards.
 */
public class FortressTransactionManager extends JdbcTransactionManager implements TransactionRouting.Routed {
    private static final long serialVersionUID = 1L;
    /** The prefix of the labels that choose a consistency. */
    public static final String LABEL_PREFIX = "fortress:";

    private final transient TransactionRouting routing;

    /**
     * @param dataSource the application's DataSource, a {@link FortressDataSource} or a wrapper of one
     */
    public FortressTransactionManager(DataSource dataSource) {
        super(dataSource);
        this.routing = new TransactionRouting(database(dataSource));
    }

    /** The Database behind a DataSource that is fortress's or wraps it. */
    static Database database(DataSource dataSource) {
        try {
            return dataSource.unwrap(Database.class);
        } catch (SQLException e) {
            throw new IllegalArgumentException("fortress's transaction managers need fortress's DataSource (or a wrapper that unwraps to it), not "
                    + dataSource, e);
        }
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {
        TransactionDefinition routed = routing.begin(definition, determineTimeout(definition));
        try {
            super.doBegin(transaction, routed);
        } catch (RuntimeException | Error e) {
            TransactionRouting.completed();
            throw e;
        }
    }

    @Override
    protected void prepareTransactionalConnection(Connection con, TransactionDefinition definition) throws SQLException {
        super.prepareTransactionalConnection(con, definition);
        TransactionRouting.prepare(con, definition);
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
        super.doCommit(status);
        routing.committed();
    }

    @Override
    protected Object doSuspend(Object transaction) {
        Object suspended = super.doSuspend(transaction);
        TransactionRouting.suspended();
        return suspended;
    }

    @Override
    protected void doResume(Object transaction, Object suspendedResources) {
        TransactionRouting.resumed();
        super.doResume(transaction, suspendedResources);
    }

    @Override
    protected void doCleanupAfterCompletion(Object transaction) {
        try {
            super.doCleanupAfterCompletion(transaction);
        } finally {
            TransactionRouting.completed();
        }
    }
}
