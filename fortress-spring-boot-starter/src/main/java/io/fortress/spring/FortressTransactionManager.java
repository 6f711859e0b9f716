package io.fortress.spring;

import io.fortress.db.Database;
import io.fortress.db.api.Consistency;
import java.util.Collection;
import javax.sql.DataSource;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.interceptor.TransactionAttribute;

/**
 * Spring's JDBC transaction manager, routing each transaction before it takes its connection:
 * {@code readOnly} ones to one replica for the whole transaction (one snapshot), the others to the
 * primary. Spring's own manager takes the connection before it marks the transaction read-only
 * (spring-framework#25323), so a routing DataSource alone cannot see the flag in time.
 *
 * <p>A read-only transaction's consistency comes from a label on {@code @Transactional}:
 * {@code fortress:strong}, {@code fortress:bounded-staleness=5s}, {@code fortress:read-your-writes}
 * (the token of the current web request, see {@link ConsistencyTokenFilter}); without one it is
 * {@link Consistency#any()} (a replica within DB_MAX_REPLICA_LAG). In a web request, each read-write
 * transaction that commits hands the request a token covering it.
 *
 * <p>Behind PgBouncer in transaction pooling (DB_POOLER), a transaction's isolation level is set in
 * the transaction ({@code SET TRANSACTION ISOLATION LEVEL}), not on the session as Spring does, since
 * the session is lent to other clients afterwards.
 */
public class FortressTransactionManager extends JdbcTransactionManager {
    private static final long serialVersionUID = 1L;
    /** The prefix of the labels that choose a consistency. */
    public static final String LABEL_PREFIX = "fortress:";

    private final transient Database database;

    /**
     * @param dataSource the application's DataSource, a {@link FortressDataSource} or a wrapper of one
     */
    public FortressTransactionManager(DataSource dataSource) {
        super(dataSource);
        try {
            this.database = dataSource.unwrap(Database.class);
        } catch (java.sql.SQLException e) {
            throw new IllegalArgumentException("FortressTransactionManager needs fortress's DataSource (or a wrapper that unwraps to it), not "
                    + dataSource, e);
        }
    }

    @Override
    protected void doCommit(org.springframework.transaction.support.DefaultTransactionStatus status) {
        super.doCommit(status);
        ConsistencyTokens tokens = ConsistencyTokens.current();
        FortressRoute route = FortressRoute.current();
        if (tokens != null && route != null && !route.readOnly()) {
            tokens.committed(database.consistencyToken());
        }
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {
        FortressRoute.push(new FortressRoute(definition.isReadOnly(), consistency(definition)));
        try {
            boolean perTransaction = database.config().behindPooler() && definition.getIsolationLevel() != TransactionDefinition.ISOLATION_DEFAULT;
            super.doBegin(transaction, perTransaction ? new IsolationInTransaction(definition) : definition);
        } catch (RuntimeException | Error e) {
            FortressRoute.pop();
            throw e;
        }
    }

    /** A definition whose isolation level Spring leaves alone; {@link #prepareTransactionalConnection} sets it in the transaction. */
    private static final class IsolationInTransaction extends org.springframework.transaction.support.DelegatingTransactionDefinition {
        private static final long serialVersionUID = 1L;
        private final int isolation;

        IsolationInTransaction(TransactionDefinition definition) {
            super(definition);
            this.isolation = definition.getIsolationLevel();
        }

        @Override
        public int getIsolationLevel() {
            return TransactionDefinition.ISOLATION_DEFAULT;
        }

        String sql() {
            return "SET TRANSACTION ISOLATION LEVEL " + switch (isolation) {
                case ISOLATION_READ_UNCOMMITTED -> "READ UNCOMMITTED";
                case ISOLATION_READ_COMMITTED -> "READ COMMITTED";
                case ISOLATION_REPEATABLE_READ -> "REPEATABLE READ";
                case ISOLATION_SERIALIZABLE -> "SERIALIZABLE";
                default -> throw new IllegalArgumentException("unknown isolation level " + isolation);
            };
        }
    }

    @Override
    protected void prepareTransactionalConnection(java.sql.Connection con, TransactionDefinition definition) throws java.sql.SQLException {
        super.prepareTransactionalConnection(con, definition);
        if (definition instanceof IsolationInTransaction inTransaction) {
            try (java.sql.Statement s = con.createStatement()) {
                s.execute(inTransaction.sql());
            }
        }
    }

    @Override
    protected void doCleanupAfterCompletion(Object transaction) {
        try {
            super.doCleanupAfterCompletion(transaction);
        } finally {
            FortressRoute.pop();
        }
    }

    /**
     * The consistency a transaction's labels ask for.
     *
     * @throws IllegalArgumentException for a {@code fortress:} label it does not know, naming the accepted ones
     */
    static Consistency consistency(TransactionDefinition definition) {
        Collection<String> labels = definition instanceof TransactionAttribute attribute ? attribute.getLabels() : java.util.List.of();
        Consistency chosen = Consistency.any();
        for (String label : labels) {
            if (label.startsWith(LABEL_PREFIX)) {
                chosen = parse(label.substring(LABEL_PREFIX.length()).strip(), label);
            }
        }
        return chosen;
    }

    private static Consistency parse(String text, String label) {
        if (text.equals("any")) {
            return Consistency.any();
        }
        if (text.equals("strong")) {
            return Consistency.strong();
        }
        if (text.equals("read-your-writes")) {
            ConsistencyTokens tokens = ConsistencyTokens.current();
            return tokens == null || tokens.latest() == null ? Consistency.any() : Consistency.readYourWrites(tokens.latest());
        }
        if (text.startsWith("bounded-staleness=")) {
            return Consistency.boundedStaleness(io.fortress.db.api.Durations.parse(text.substring("bounded-staleness=".length())));
        }
        throw new IllegalArgumentException("transaction label '" + label + "' is not one of fortress:any, fortress:strong, "
                + "fortress:read-your-writes, fortress:bounded-staleness=<duration> (e.g. 5s)");
    }
}
