package io.fortress.spring;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.orm.jpa.HibernatePropertiesCustomizer;

/**
 * Hibernate gives its connection back at the end of each transaction. Spring's Hibernate adapter has
 * a session hold its first connection until it closes; with open-in-view (Spring Boot's default in
 * web applications) that is the whole request, so a read-only transaction would pin the replica it
 * ran on and a later read-write transaction of the same request would be refused there (25006).
 * Released after each transaction, every transaction takes a connection from its own route. A mode
 * the application sets itself is kept, with a warning when it holds connections.
 */
final class HibernateConnectionRelease implements HibernatePropertiesCustomizer {
    static final String HANDLING_MODE = "hibernate.connection.handling_mode";
    static final String RELEASE_AFTER_TRANSACTION = "DELAYED_ACQUISITION_AND_RELEASE_AFTER_TRANSACTION";
    private static final Logger LOG = LoggerFactory.getLogger(HibernateConnectionRelease.class);

    @Override
    public void customize(Map<String, Object> hibernateProperties) {
        Object set = hibernateProperties.get(HANDLING_MODE);
        if (set == null) {
            hibernateProperties.put(HANDLING_MODE, RELEASE_AFTER_TRANSACTION);
        } else if (set.toString().toUpperCase(java.util.Locale.ROOT).endsWith("_HOLD")) {
            LOG.warn("{}={} keeps a session's first connection until the session closes: with open-in-view, a read-only "
                    + "transaction's replica then serves the request's later transactions too, and their writes fail (25006). "
                    + "Leave it unset (fortress sets {}) or set spring.jpa.open-in-view=false", HANDLING_MODE, set, RELEASE_AFTER_TRANSACTION);
        }
    }
}
