package io.fortress.cli;

import io.fortress.db.Database;
import io.fortress.db.migrate.MigrationConfig;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationSettings;
import io.fortress.db.migrate.MigrationSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The three services of the fortress; each owns a PostgreSQL schema of its name and migrates it on its own. */
enum Service {
    CREDITS, SHADOW, CDEFNET;

    /** The schema and the folder of migrations: {@code credits}, {@code shadow}, {@code cdefnet}. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The service's migrations: {@code sourceRoot/<service>} when a folder is given, else those packaged
     * in the fortress jar (the repository's migrations/ folder).
     */
    MigrationSource source(Path sourceRoot) {
        return sourceRoot == null ? MigrationSource.classpath("migrations/" + id()) : MigrationSource.directory(sourceRoot.resolve(id()));
    }

    /**
     * The engine's settings from DB_MIGRATE_*, with this service's schema.
     *
     * @throws IllegalArgumentException when DB_MIGRATE_SCHEMA is set: a service's schema is its name
     */
    MigrationConfig config(Map<String, String> environment) {
        String variable = MigrationSettings.SCHEMA.variable();
        String schema = environment.get(variable);
        if (schema != null && !schema.isBlank()) {
            throw new IllegalArgumentException(variable + "=" + schema + " is set, but the services are each migrated into the schema"
                    + " of their name (credits, shadow, cdefnet); unset " + variable + " (fortress migrate --schema NAME --source DIR"
                    + " migrates a schema of your own)");
        }
        return MigrationConfig.builder().applyEnv(environment).schema(id()).build();
    }

    MigrationManager manager(Database db, Path sourceRoot, Map<String, String> environment) {
        return MigrationManager.create(db, source(sourceRoot), config(environment));
    }

    /** The service whose schema is {@code schema}, if one is. */
    static java.util.Optional<Service> named(String schema) {
        return java.util.Arrays.stream(values()).filter(s -> s.id().equals(schema)).findFirst();
    }

    /**
     * Parses {@code --service}: one service, or {@code all}.
     *
     * @throws IllegalArgumentException naming what is accepted
     */
    static List<Service> parse(String text) {
        if (text == null || text.equalsIgnoreCase("all")) {
            return List.of(values());
        }
        for (Service s : values()) {
            if (s.id().equals(text.toLowerCase(Locale.ROOT))) {
                return List.of(s);
            }
        }
        throw new IllegalArgumentException("--service " + text + " is not a service; expected credits, shadow, cdefnet or all");
    }
}
