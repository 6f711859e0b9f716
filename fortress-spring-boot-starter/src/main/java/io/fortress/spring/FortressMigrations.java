package io.fortress.spring;

import io.fortress.db.Database;
import io.fortress.db.migrate.DirtyDatabaseException;
import io.fortress.db.migrate.MigrationConfig;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationResult;
import io.fortress.db.migrate.MigrationSettings;
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
 * A dirty schema stops start-up with fortress's message and the {@code fortress migrate force} command lines that
 * repair it.
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
            } catch (DirtyDatabaseException e) {
                LOG.error("{}: the start-up migration failed: {}", service, e.getMessage());
                throw new FortressStartupException("A schema migration failed earlier and left schema " + service + " dirty: "
                        + e.getMessage(), repairAdvice(service, e.version()), e);
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

    /**
     * The repair of a dirty version as {@code fortress migrate force} command lines for this service's schema,
     * table and folder: one for when the failed migration's changes were completed by hand, one for when
     * they were undone.
     */
    String repairAdvice(String service, long dirtyVersion) {
        MigrationConfig config = config(service);
        String table = config.table().equals(MigrationSettings.TABLE.defaultValue()) ? ""
                : MigrationSettings.TABLE.variable() + "=" + shellWord(config.table()) + " ";
        Path folder = folder(service);
        String where = " --schema " + shellWord(service) + " --source " + (folder == null ? "DIR" : shellWord(folder.toString()));
        long previous = previousVersion(service, dirtyVersion);
        return "Repair the schema by hand as the message says; then, with the application's DB_* settings in the environment "
                + "(DB_HOST, DB_PORT, DB_USER, PGPASSWORD or DB_PASSWORD_FILE, DB_NAME), record the version with fortress and "
                + "start the application again.\n"
                + "If the changes of version " + dirtyVersion + " are now complete:\n"
                + "    " + table + "fortress migrate force " + dirtyVersion + where + "\n"
                + "If you undid them instead (the next start runs version " + dirtyVersion + " again):\n"
                + "    " + table + "fortress migrate force " + previous + where
                + (folder == null ? "\nDIR is a folder holding the files of " + location + "/" + service + " (in the application's "
                        + "sources, e.g. src/main/resources/" + locationFolder() + service + ")." : "")
                + "\nMigrationManager.force does the same in code.";
    }

    /** The version before {@code version} among the source's files, -1 (no version) when there is none or it cannot be read. */
    private long previousVersion(String service, long version) {
        try {
            return MigrationManager.create(database, source(service), config(service)).status().migrations().stream()
                    .mapToLong(MigrationStatus.Entry::version).filter(v -> v < version).max().orElse(-1);
        } catch (RuntimeException unreadable) {
            return -1;
        }
    }

    /** The service's migrations folder on disk, or null when they are inside a jar. */
    private Path folder(String service) {
        if (!location.startsWith("classpath:")) {
            return Path.of(location, service).toAbsolutePath();
        }
        java.net.URL url = FortressMigrations.class.getClassLoader().getResource(locationFolder() + service);
        if (url == null || !"file".equals(url.getProtocol())) {
            return null;
        }
        try {
            return Path.of(url.toURI());
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The classpath folder of the location with a trailing slash, or empty. */
    private String locationFolder() {
        String folder = location.substring("classpath:".length()).replaceAll("^/+|/+$", "");
        return folder.isEmpty() ? "" : folder + "/";
    }

    /** A word the shell takes as it is: quoted when it holds anything but letters, digits and {@code /._-}. */
    private static String shellWord(String word) {
        return word.matches("[A-Za-z0-9/._-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    private MigrationSource source(String service) {
        if (location.startsWith("classpath:")) {
            String folder = location.substring("classpath:".length()).replaceAll("^/+|/+$", "");
            return MigrationSource.classpath(folder.isEmpty() ? service : folder + "/" + service);
        }
        return MigrationSource.directory(Path.of(location, service));
    }
}
