package io.fortress.db;

import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the settings of DbSettings, with their defaults and accepted values. */
class DocsTest {
    private static final Path CONFIGURATION = Path.of("..", "docs", "configuration.md");

    @Test
    void configurationPageMatchesTheSettingsTable() throws Exception {
        List<String> lines = Files.readAllLines(CONFIGURATION);
        int end = lines.indexOf("## The fortress command");
        List<String> rows = lines.subList(0, end < 0 ? lines.size() : end).stream().filter(l -> l.startsWith("| `")).toList();
        assertThat(rows).hasSize(DbSettings.ALL.size());
        for (int i = 0; i < rows.size(); i++) {
            Setting<?> s = DbSettings.ALL.get(i);
            Object d = s.defaultValue();
            String shown = d == null ? "(unset)" : s.display(d);
            String expectedDefault = shown.isEmpty() ? "(none)" : shown.startsWith("(") ? shown : "`" + shown + "`";
            assertThat(rows.get(i)).isEqualTo("| `" + s.variable() + "` | `" + s.name() + "` | " + expectedDefault + " | "
                    + s.accepted() + " | " + s.description() + " |");
        }
    }
}
