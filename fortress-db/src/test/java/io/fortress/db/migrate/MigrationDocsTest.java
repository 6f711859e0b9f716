package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.DocsTest;
import io.fortress.db.api.Setting;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the settings of MigrationSettings, with their defaults and accepted values. */
class MigrationDocsTest {
    @Test
    void configurationPageMatchesTheMigrationSettings() throws Exception {
        List<String> rows = DocsTest.tableRows(DocsTest.CONFIGURATION, "## Migration settings");
        assertThat(rows).hasSize(MigrationSettings.ALL.size());
        for (int i = 0; i < rows.size(); i++) {
            Setting<?> s = MigrationSettings.ALL.get(i);
            Object d = s.defaultValue();
            String expectedDefault = d == null ? "(unset)" : "`" + s.display(d) + "`";
            assertThat(rows.get(i)).isEqualTo("| `" + s.variable() + "` | `" + s.name() + "` | " + expectedDefault + " | "
                    + s.accepted() + " | " + s.description() + " |");
        }
    }
}
