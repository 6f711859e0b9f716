package io.fortress.spring;

import io.fortress.db.Database;
import io.fortress.db.migrate.MigrationConfig;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationResult;
import io.fortress.db.migrate.MigrationSource;
import io.fortress.db.migrate.MigrationStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;

/**
 * Migrates the services listed in {@code fortress.migrations.services} when the context starts, each
 * into the schema of its name from its own folder, as Spring Boot does for Flyway: registered as a
 * database initializer, so beans that use the database (JdbcTemplate, JPA, ...) initialize after it.
 * A dirty schema stops start-up with fortress's message.
 */
public final class FortressMigrations implements InitializingBean {
    private static final Logger LOG = LoggerFactory.getLogger(FortressMigrations.class);

    private final Database database;
    private final List<String> services;
    private final String location;
    private final Map<String, String> environment;

    public FortressMigrations(Database database, List<String> services, String location, Map<String, String> environment) {
        this.database = database;
        this.services = List.copyOf(services);
        this.location = location;
        this.environment = Map.copyOf(environment);
    }

    /** Each service's migration state now (read without the lock), in the order of the services. */
    public List<MigrationStatus> statuses() {
        return services.stream().map(service -> MigrationManager.create(database, source(service), config(service)).status()).toList();
    }

    private MigrationConfig config(String service) {
        return MigrationConfig.builder().applyEnv(environment).schema(service).build();
    }

    @Override
    public void afterPropertiesSet() {
        for (String service : services) {
            MigrationResult r;
            try {
                r = MigrationManager.autoMigrate(database, source(service), config(service));
            } catch (RuntimeException e) {
                LOG.error("{}: the start-up migration failed: {}", service, e.getMessage());
                throw e;
            }
            if (r.noChange()) {
                LOG.info("{}: at version {}", service, r.toVersion());
            } else {
                LOG.info("{}: migrated from version {} to {}", service, r.fromVersion(), r.toVersion());
            }
        }
    }

    private MigrationSource source(String service) {
        if (location.startsWith("classpath:")) {
            String folder = location.substring("classpath:".length()).replaceAll("^/+|/+$", "");
            return MigrationSource.classpath(folder.isEmpty() ? service : folder + "/" + service);
        }
        return MigrationSource.directory(Path.of(location, service));
    }
}
