package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.api.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the fortress command's settings, with their defaults and accepted values. */
class CliDocsTest {

    @Test
    void theCommandsSettingsTableMatchesCliSettings() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("..", "docs", "configuration.md"));
        int start = lines.indexOf("## The fortress command");
        int end = start + 1;
        while (end < lines.size() && !lines.get(end).startsWith("## ")) {
            end++;
        }
        List<String> rows = lines.subList(start, end).stream().filter(l -> l.startsWith("| `")).toList();
        assertThat(rows).hasSize(CliSettings.ALL.size());
        for (int i = 0; i < rows.size(); i++) {
            Setting<?> s = CliSettings.ALL.get(i);
            String shown = s == CliSettings.DATA_DIR ? "(see below)"
                    : s.defaultValue() == null ? "(unset)" : "`" + s.display(s.defaultValue()) + "`";
            assertThat(rows.get(i)).isEqualTo("| `" + s.variable() + "` | " + shown + " | " + s.accepted() + " | " + s.description() + " |");
        }
    }
}
