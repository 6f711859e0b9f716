package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.api.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/migrations.md lists exactly the settings of MigrationSettings, with their defaults and accepted values. */
class MigrationDocsTest {
    private static final Path MIGRATIONS = Path.of("..", "docs", "migrations.md");

    @Test
    void migrationsPageMatchesTheSettingsTable() throws Exception {
        List<String> rows = Files.readAllLines(MIGRATIONS).stream().filter(l -> l.startsWith("| `DB_MIGRATE_")).toList();
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
