package io.fortress.spring;

import jakarta.persistence.EntityManagerFactory;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.orm.jpa.EntityManagerHolder;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Spring's JPA transaction manager (the EntityManager bound to the transaction, flushed on commit,
 * Hibernate's own transaction), routing each transaction as {@link FortressTransactionManager} does:
 * decided from the transaction's definition before the EntityManager takes its connection, read-only
 * ones on one replica, the others on the primary, with the same labels and consistency tokens. The
 * starter registers it when the application has an {@code EntityManagerFactory}, and lets Hibernate
 * give the connection back after each transaction, so that an EntityManager kept open across several
 * transactions (open-in-view) takes each one's connection from that transaction's node.
 */
public class FortressJpaTransactionManager extends JpaTransactionManager implements TransactionRouting.Routed {
    private static final long serialVersionUID = 1L;

    private final transient TransactionRouting routing;

    /**
     * @param entityManagerFactory the application's EntityManagerFactory, built on {@code dataSource}
     * @param dataSource           the application's DataSource, a {@link FortressDataSource} or a wrapper of one
     */
    public FortressJpaTransactionManager(EntityManagerFactory entityManagerFactory, DataSource dataSource) {
        super(entityManagerFactory);
        setDataSource(dataSource);
        this.routing = new TransactionRouting(FortressTransactionManager.database(dataSource));
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {
        TransactionDefinition routed = routing.begin(definition, determineTimeout(definition));
        boolean begun = false;
        try {
            super.doBegin(transaction, routed);
            begun = true;
            if (routed != definition) {
                isolationInTransaction(routed);
            }
        } catch (RuntimeException | Error e) {
            if (begun) {
                // Spring cleans up only after a doBegin that returned: roll back, unbind and close the EntityManager here
                EntityManagerHolder holder = (EntityManagerHolder) TransactionSynchronizationManager.getResource(obtainEntityManagerFactory());
                if (holder != null && holder.getEntityManager().getTransaction().isActive()) {
                    holder.getEntityManager().getTransaction().rollback();
                }
                doCleanupAfterCompletion(transaction); // pops the route
            } else {
                TransactionRouting.completed();
            }
            throw e;
        }
    }

    /** Behind the pooler: the isolation level, set on the connection the transaction has just exposed. */
    private void isolationInTransaction(TransactionDefinition routed) {
        ConnectionHolder holder = (ConnectionHolder) TransactionSynchronizationManager.getResource(getDataSource());
        if (holder == null) {
            throw new CannotCreateTransactionException("cannot set the isolation level inside the transaction: the JPA dialect "
                    + getJpaDialect() + " exposes no JDBC connection");
        }
        try {
            TransactionRouting.prepare(holder.getConnection(), routed);
        } catch (SQLException e) {
            throw new CannotCreateTransactionException("cannot set the isolation level inside the transaction", e);
        }
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
