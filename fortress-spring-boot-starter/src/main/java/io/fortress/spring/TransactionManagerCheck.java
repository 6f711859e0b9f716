package io.fortress.spring;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Warns at start-up when the transaction manager {@code @Transactional} uses is not one of fortress's:
 * the application defined its own, so the starter's stepped aside, and with it every read-only
 * transaction's replica (they all run on the primary) and the consistency tokens of web requests.
 */
final class TransactionManagerCheck implements SmartInitializingSingleton {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionManagerCheck.class);

    private final ObjectProvider<PlatformTransactionManager> managers;

    TransactionManagerCheck(ObjectProvider<PlatformTransactionManager> managers) {
        this.managers = managers;
    }

    @Override
    public void afterSingletonsInstantiated() {
        PlatformTransactionManager used = managers.getIfUnique();
        if (used != null && !routes(used)) {
            LOG.warn("the transaction manager {} is not fortress's: @Transactional(readOnly = true) transactions run on the primary, not "
                    + "on a replica, their fortress: labels are ignored and web responses carry no consistency token. To keep routing, "
                    + "remove that bean (the starter then registers {}), or define a {} or {} instead (see docs/spring-boot.md)",
                    used.getClass().getName(), "FortressJpaTransactionManager with JPA, FortressTransactionManager without",
                    FortressJpaTransactionManager.class.getSimpleName(), FortressTransactionManager.class.getSimpleName());
        }
    }

    private static boolean routes(PlatformTransactionManager manager) {
        return manager instanceof TransactionRouting.Routed;
    }
}
