package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/grafana/fortress.json imports as is: one dashboard with unique panel ids, every query on the
 * dashboard's datasource variable, and every expression valid PromQL (promtool checks them as
 * recording rules, with Grafana's variables replaced). ServeIT checks that the meters they name exist.
 */
@RequiresTool(Tool.PROMTOOL)
class GrafanaDashboardTest {
    static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "fortress.json");

    /** Every PromQL expression of the dashboard's panels. */
    static List<String> expressions() throws Exception {
        JsonNode root = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : root.get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                exprs.add(target.get("expr").asText());
            }
        }
        return exprs;
    }

    @Test
    void theDashboardIsWellFormedAndItsQueriesAreValidPromql(@TempDir Path tmp) throws Exception {
        JsonNode root = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(root.get("uid").asText()).isEqualTo("fortress-db");
        assertThat(root.get("templating").get("list").get(0).get("type").asText()).isEqualTo("datasource");
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : root.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt())).as("panel id " + panel.get("id") + " unique").isTrue();
            assertThat(panel.has("gridPos")).isTrue();
            if (!panel.get("type").asText().equals("row")) {
                assertThat(panel.get("datasource").get("uid").asText()).as(panel.get("title").asText()).isEqualTo("${datasource}");
                assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            }
        }

        List<String> exprs = expressions();
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < exprs.size(); i++) {
            String promql = exprs.get(i).replace("$__rate_interval", "5m").replace("$job", ".*").replace("$instance", ".*");
            rules.append("      - record: dashboard:query_").append(i).append("\n        expr: '").append(promql.replace("'", "''")).append("'\n");
        }
        Files.writeString(tmp.resolve("dashboard-rules.yml"), rules);
        Promtool.Result check = Promtool.run(tmp, null, "check", "rules", "dashboard-rules.yml");
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + exprs.size() + " rules found");
    }
}
