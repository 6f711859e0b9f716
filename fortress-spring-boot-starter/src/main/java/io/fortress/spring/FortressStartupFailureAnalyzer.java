package io.fortress.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A start-up fortress cannot make: conflicting settings, or a database it cannot reach; what was tried and what to set. */
public final class FortressStartupFailureAnalyzer extends AbstractFailureAnalyzer<FortressStartupException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, FortressStartupException cause) {
        return new FailureAnalysis(cause.getMessage(), cause.action(), cause);
    }
}
