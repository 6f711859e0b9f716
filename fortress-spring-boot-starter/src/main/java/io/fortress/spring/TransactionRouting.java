package io.fortress.spring;

import io.fortress.db.Database;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.Deadline;
import io.fortress.db.api.Durations;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.interceptor.TransactionAttribute;
import org.springframework.transaction.support.DelegatingTransactionDefinition;

/**
 * What fortress's transaction managers ({@link FortressTransactionManager} for JDBC,
 * {@link FortressJpaTransactionManager} for JPA) add to Spring's, in one place: the route of each
 * transaction, decided from its definition before a connection is taken; the route-free stretch
 * while a transaction is suspended; the transaction's timeout as a {@link Deadline} for fortress's own waits; the
 * request's consistency token after a write commits; and,
 * behind PgBouncer, the isolation level set inside the transaction rather than on the session.
 */
final class TransactionRouting {
    /** A transaction manager that routes through this class. */
    interface Routed {
    }

    private final Database database;

    TransactionRouting(Database database) {
        this.database = database;
    }

    /**
     * Routes the transaction about to begin, under a {@link Deadline} of {@code timeoutSeconds} when positive (Spring's
     * transaction timeout); call {@link #completed()} once it has ended (or failed to begin).
     *
     * @return the definition to begin it with: behind the pooler, one whose isolation level Spring leaves alone
     */
    TransactionDefinition begin(TransactionDefinition definition, int timeoutSeconds) {
        Consistency consistency = consistency(definition);
        // the transaction's timeout bounds fortress's waits too: a frozen node holds it no longer than that plus Deadline.MARGIN
        Deadline.Scope deadline = timeoutSeconds > 0 ? Deadline.after(Duration.ofSeconds(timeoutSeconds)).enter() : null;
        FortressRoute.push(new FortressRoute(definition.isReadOnly(), consistency, deadline));
        boolean inTransaction = database.config().behindPooler() && definition.getIsolationLevel() != TransactionDefinition.ISOLATION_DEFAULT;
        return inTransaction ? new IsolationInTransaction(definition) : definition;
    }

    /** The transaction's connection is taken: behind the pooler, set its isolation level inside the transaction. */
    static void prepare(Connection connection, TransactionDefinition definition) throws SQLException {
        if (definition instanceof IsolationInTransaction inTransaction) {
            try (Statement s = connection.createStatement()) {
                s.execute(inTransaction.sql());
            }
        }
    }

    /** A transaction committed: a read-write one hands the current request a token covering it. */
    void committed() {
        ConsistencyTokens tokens = ConsistencyTokens.current();
        FortressRoute route = FortressRoute.current();
        if (tokens != null && route != null && !route.readOnly()) {
            tokens.committed(database.consistencyToken());
        }
    }

    /** The transaction has ended, or did not begin. */
    static void completed() {
        FortressRoute.pop();
    }

    /** The current transaction is suspended; {@link #resumed()} follows. */
    static void suspended() {
        FortressRoute.suspend();
    }

    static void resumed() {
        FortressRoute.pop();
    }

    /**
     * The consistency a transaction's labels ask for. Without a {@code fortress:} label it is
     * {@link Consistency#any()}, except in a web request that has itself committed a write: its later
     * read-only transactions read that write.
     *
     * @throws IllegalArgumentException for a {@code fortress:} label it does not know, naming the accepted ones
     */
    static Consistency consistency(TransactionDefinition definition) {
        Collection<String> labels = definition instanceof TransactionAttribute attribute ? attribute.getLabels() : List.of();
        Consistency chosen = null;
        for (String label : labels) {
            if (label.startsWith(FortressTransactionManager.LABEL_PREFIX)) {
                chosen = parse(label.substring(FortressTransactionManager.LABEL_PREFIX.length()).strip(), label);
            }
        }
        if (chosen != null) {
            return chosen;
        }
        ConsistencyTokens tokens = ConsistencyTokens.current();
        return tokens == null || tokens.ownWrite() == null ? Consistency.any() : Consistency.readYourWrites(tokens.ownWrite());
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
            return Consistency.boundedStaleness(Durations.parse(text.substring("bounded-staleness=".length())));
        }
        throw new IllegalArgumentException("transaction label '" + label + "' is not one of fortress:any, fortress:strong, "
                + "fortress:read-your-writes, fortress:bounded-staleness=<duration> (e.g. 5s)");
    }

    /** A definition whose isolation level Spring leaves alone; {@link #prepare} sets it in the transaction. */
    private static final class IsolationInTransaction extends DelegatingTransactionDefinition {
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
}
