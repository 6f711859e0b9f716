package io.fortress.spring;

import io.fortress.db.migrate.DirtyDatabaseException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A dirty schema at start-up: fortress's message, and the repair, instead of a stack trace. */
public final class DirtyDatabaseFailureAnalyzer extends AbstractFailureAnalyzer<DirtyDatabaseException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, DirtyDatabaseException cause) {
        return new FailureAnalysis("A schema migration failed earlier and left the schema dirty: " + cause.getMessage(),
                "Repair the schema by hand as the message says, then record the version with `fortress migrate force N` "
                        + "(or MigrationManager.force), and start the application again.", cause);
    }
}
