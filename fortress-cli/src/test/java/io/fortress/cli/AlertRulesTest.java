package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import org.junit.jupiter.api.Test;

/** deploy/prometheus/fortress-rules.yml is valid and each alert fires when, and only when, its unit test says. */
@RequiresTool(Tool.PROMTOOL)
class AlertRulesTest {
    @Test
    void rulesAreValidAndTheirUnitTestsPass() throws Exception {
        Promtool.Result check = Promtool.run(Promtool.RULES, null, "check", "rules", "fortress-rules.yml");
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + AlertRules.ALL.size() + " rules found");

        Promtool.Result test = Promtool.run(Promtool.RULES, null, "test", "rules", "fortress-rules.test.yml");
        assertThat(test.exitCode()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }
}
