package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupSettings;
import io.fortress.db.migrate.MigrationConfig;
import io.fortress.db.migrate.MigrationSettings;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every setting of the three configurations is complete: a variable, a description, what is accepted
 * (the words every refusal quotes), and a builder method of its own name. The docs tables are compared
 * with the same lists by DocsTest, MigrationDocsTest and BackupConfigTest.
 */
class SettingsContractTest {
    static Stream<Arguments> groups() {
        return Stream.of(
                Arguments.of("DbConfig", DbSettings.ALL, DbConfig.Builder.class),
                Arguments.of("MigrationConfig", MigrationSettings.ALL, MigrationConfig.Builder.class),
                Arguments.of("BackupConfig", BackupSettings.ALL, BackupConfig.Builder.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("groups")
    void everySettingIsDeclaredCompletelyAndHasItsBuilderMethod(String config, List<Setting<?>> settings, Class<?> builder) {
        assertThat(settings).extracting(Setting::name).doesNotHaveDuplicates();
        for (Setting<?> s : settings) {
            assertThat(s.variable()).as("%s.%s's variable", config, s.name()).isNotBlank();
            assertThat(s.description()).as("%s.%s's description", config, s.name()).isNotBlank();
            assertThat(s.accepted()).as("%s.%s's accepted values", config, s.name()).isNotBlank();
            boolean hasMethod = Arrays.stream(builder.getMethods())
                    .anyMatch(m -> m.getName().equals(s.name()) && m.getParameterCount() == 1 && Modifier.isPublic(m.getModifiers())
                            && m.getReturnType() == builder);
            assertThat(hasMethod).as("%s.Builder has a method %s(value) for the setting %s", config, s.name(), s.variable()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("groups")
    void aRefusedValueNamesTheVariableAndWhatIsAccepted(String config, List<Setting<?>> settings, Class<?> builder) {
        for (Setting<?> s : settings) {
            if (s.isSecret()) {
                continue; // a secret takes any text
            }
            try {
                s.parseVariable("\u0000not a valid value\u0000");
            } catch (io.fortress.db.api.DbConfigException e) {
                assertThat(e.getMessage()).startsWith(s.variable() + "=").contains("expected " + s.accepted());
                continue;
            }
            // only settings whose values are free text (names, paths, hosts) take it; build() checks those further
            assertThat(s.accepted()).as("%s took a value its accepted text does not allow", s.variable())
                    .containsAnyOf("text", "path", "host");
        }
    }

}
