package io.fortress.cli;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus/fortress-rules.yml is what {@link AlertRules} makes, so that the rules Prometheus evaluates and those the
 * status page applies cannot drift apart. With {@code -Dfortress.cli.regenerate=true} it rewrites the file instead.
 */
class AlertRulesFileTest {
    private static final Path FILE = Promtool.RULES.resolve("fortress-rules.yml");

    @Test
    void theCommittedRulesAreWhatAlertRulesMakes() throws Exception {
        GeneratedFile.assertCurrent(FILE, AlertRules.yaml(), "AlertRules", AlertRules.REGENERATE);
    }
}
