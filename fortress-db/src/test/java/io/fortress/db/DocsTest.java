package io.fortress.db;

import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the settings of DbSettings, with their defaults and accepted values. */
public class DocsTest {
    /** The page that lists every setting of every part. */
    public static final Path CONFIGURATION = Path.of("..", "docs", "configuration.md");

    @Test
    void configurationPageMatchesTheSettingsTable() throws Exception {
        List<String> rows = tableRows(CONFIGURATION, "## Settings");
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

    /** The table rows ("| `...") of a page's section, from its heading to the next heading of the same level. */
    public static List<String> tableRows(Path page, String heading) throws IOException {
        List<String> lines = Files.readAllLines(page);
        int start = lines.indexOf(heading);
        assertThat(start).as(page + " has the section " + heading).isNotNegative();
        int end = start + 1;
        while (end < lines.size() && !lines.get(end).startsWith("## ")) {
            end++;
        }
        return lines.subList(start, end).stream().filter(l -> l.startsWith("| `")).toList();
    }
}
