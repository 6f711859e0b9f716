package io.fortress.spring;

import io.fortress.db.api.DbConfigException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A refused fortress setting at start-up: which property or variable, and what is accepted. */
public final class DbConfigFailureAnalyzer extends AbstractFailureAnalyzer<DbConfigException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, DbConfigException cause) {
        return new FailureAnalysis("A fortress database setting is refused: " + cause.getMessage(),
                "Correct the setting named above: a fortress.* property, a DB_* variable or a spring.datasource.* property "
                        + "(see docs/configuration.md and docs/spring-boot.md).", cause);
    }
}
