package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
        String generated = AlertRules.yaml();
        if (Boolean.getBoolean("fortress.cli.regenerate")) {
            Files.writeString(FILE, generated, StandardCharsets.UTF_8);
        }
        String committed = Files.exists(FILE) ? Files.readString(FILE, StandardCharsets.UTF_8) : "";
        assertThat(committed).as("deploy/prometheus/fortress-rules.yml differs from what AlertRules makes; regenerate it with: "
                + AlertRules.REGENERATE).isEqualTo(generated);
    }
}
