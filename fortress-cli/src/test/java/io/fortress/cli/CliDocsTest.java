package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.DocsTest;
import io.fortress.db.api.Setting;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md lists exactly the fortress command's settings, with their defaults and accepted values, and
 * docs/metrics.md exactly the alert rules of {@link AlertRules}.
 */
class CliDocsTest {

    @Test
    void theCommandsSettingsTableMatchesCliSettings() throws Exception {
        List<String> rows = DocsTest.tableRows(DocsTest.CONFIGURATION, "## The fortress command");
        assertThat(rows).hasSize(CliSettings.ALL.size());
        for (int i = 0; i < rows.size(); i++) {
            Setting<?> s = CliSettings.ALL.get(i);
            String shown = s == CliSettings.DATA_DIR ? "(see below)"
                    : s.defaultValue() == null ? "(unset)" : "`" + s.display(s.defaultValue()) + "`";
            assertThat(rows.get(i)).isEqualTo("| `" + s.variable() + "` | " + shown + " | " + s.accepted() + " | " + s.description() + " |");
        }
    }

    @Test
    void theAlertTableIsWhatAlertRulesSays() throws Exception {
        assertThat(DocsTest.tableRows(Path.of("..", "docs", "metrics.md"), "## Alert rules")).isEqualTo(AlertRules.markdownRows());
    }
}
