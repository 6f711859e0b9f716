package io.fortress.spring;

import io.fortress.db.migrate.DirtyDatabaseException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * A dirty schema at start-up: fortress's message, and the repair as {@code fortress migrate force} command lines,
 * instead of a stack trace. For the start-up migrations the command lines name the schema, table and folder
 * ({@link FortressMigrations}); for a migration the application ran itself, the options to fill in.
 */
public final class DirtyDatabaseFailureAnalyzer extends AbstractFailureAnalyzer<DirtyDatabaseException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, DirtyDatabaseException cause) {
        FortressStartupException startup = findCause(rootFailure, FortressStartupException.class);
        if (startup != null) {
            return new FailureAnalysis(startup.getMessage(), startup.action(), cause);
        }
        return new FailureAnalysis("A schema migration failed earlier and left the schema dirty: " + cause.getMessage(),
                "Repair the schema by hand as the message says, then record the version with fortress (the application's DB_* "
                        + "settings in the environment) and start the application again:\n"
                        + "    fortress migrate force " + cause.version() + " --schema SCHEMA --source DIR\n"
                        + "with the schema and the folder of its migrations (DB_MIGRATE_TABLE=NAME before it when the version table "
                        + "is not schema_migrations), or MigrationManager.force in code.", cause);
    }
}
