package io.fortress.spring;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The starter's own properties under {@code fortress}. Every database setting of
 * {@code io.fortress.db.api.DbSettings} is a property too, {@code fortress.<name in kebab case>}
 * ({@code fortress.host}, {@code fortress.max-open-conns}, ...): it wins over its DB_* variable and
 * goes through the same checks and messages.
 */
@ConfigurationProperties("fortress")
public class FortressProperties {
    /**
     * Send connections taken outside any transaction to a replica instead of the primary. Only for
     * applications that write in transactions alone: a write outside one then fails with 25006.
     */
    private boolean replicaReadsOutsideTransactions;

    /**
     * The HTTP header that carries read-your-writes tokens: read from requests (for read-only
     * transactions labelled fortress:read-your-writes), set on responses after each committed write.
     */
    private String consistencyTokenHeader = "Fortress-Consistency-Token";

    private final Migrations migrations = new Migrations();

    public String getConsistencyTokenHeader() {
        return consistencyTokenHeader;
    }

    public void setConsistencyTokenHeader(String consistencyTokenHeader) {
        this.consistencyTokenHeader = consistencyTokenHeader;
    }

    public boolean isReplicaReadsOutsideTransactions() {
        return replicaReadsOutsideTransactions;
    }

    public void setReplicaReadsOutsideTransactions(boolean replicaReadsOutsideTransactions) {
        this.replicaReadsOutsideTransactions = replicaReadsOutsideTransactions;
    }

    public Migrations getMigrations() {
        return migrations;
    }

    /** Migrations run at start-up, before any bean that uses the database initializes. */
    public static class Migrations {
        /** The services (schemas) to migrate at start-up, each from its own folder under the location; none by default. */
        private List<String> services = new ArrayList<>();
        /** Where the services' folders are: {@code classpath:<folder>} or a filesystem folder. */
        private String location = "classpath:migrations";

        public List<String> getServices() {
            return services;
        }

        public void setServices(List<String> services) {
            this.services = services;
        }

        public String getLocation() {
            return location;
        }

        public void setLocation(String location) {
            this.location = location;
        }
    }
}
