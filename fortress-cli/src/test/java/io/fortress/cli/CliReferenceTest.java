package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;
import io.fortress.db.backup.BackupSettings;
import io.fortress.db.migrate.MigrationSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * docs/cli.md is what {@link CliReference} makes of the picocli model, and documents every variable the
 * command reads or {@code cluster env} exports. With {@code -Dfortress.cli.regenerate=true} it rewrites the page instead.
 */
class CliReferenceTest {
    private static final Path PAGE = Path.of("..", "docs", "cli.md");

    @Test
    void thePageIsWhatThePicocliModelProduces() throws Exception {
        GeneratedFile.assertCurrent(PAGE, CliReference.markdown(), "the picocli model of FortressCommand", CliReference.REGENERATE);
    }

    @Test
    void everyCommandOptionParameterAndExitStatusIsOnThePage() throws Exception {
        String page = CliReference.markdown();
        CommandLine root = FortressCommand.newCommandLine(Map.of(), new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(new java.io.StringWriter()));
        List<CommandLine> all = new ArrayList<>();
        collect(root, all);
        assertThat(all).hasSizeGreaterThan(30);
        for (CommandLine c : all) {
            CommandLine.Model.CommandSpec spec = c.getCommandSpec();
            String section = section(page, "## `" + spec.qualifiedName() + "`");
            spec.options().stream().filter(o -> !o.usageHelp() && !o.versionHelp())
                    .forEach(o -> assertThat(section).as(spec.qualifiedName()).contains("| `" + String.join(", ", o.names())));
            spec.positionalParameters().forEach(p -> assertThat(section).as(spec.qualifiedName()).contains("| `" + p.paramLabel() + "` |"));
            assertThat(spec.usageMessage().exitCodeList()).as(spec.qualifiedName() + " lists its exit statuses").isNotEmpty();
            spec.usageMessage().exitCodeList().keySet().forEach(code -> assertThat(section).contains("| " + code + " | "));
        }
        assertThat(section(page, "## `fortress migrate status`")).contains("| 3 | an ERROR finding");
        assertThat(section(page, "## `fortress migrate`")).contains("`--schema NAME`", "`--source DIR`", "`--service SERVICE`");
    }

    @Test
    void everySettingIsNamedWithALinkToTheConfigurationPage() throws Exception {
        String page = Files.readString(PAGE, StandardCharsets.UTF_8);
        for (List<? extends Setting<?>> settings : List.of(DbSettings.ALL, CliSettings.ALL, BackupSettings.ALL, MigrationSettings.ALL)) {
            for (Setting<?> s : settings) {
                assertThat(page).contains("| `" + s.variable() + "` | ");
            }
        }
        assertThat(page).contains("(configuration.md#backup-settings)", "(configuration.md#migration-settings)");
        for (String launcher : List.of("FORTRESS_JAVA_OPTS", "JAVA_HOME", "FORTRESS_PG_OS_USER", "PG_BIN")) {
            assertThat(page).contains("| `" + launcher + "` | ");
        }
        // bin/fortress reads no variable the page leaves out
        Matcher m = Pattern.compile("\\$\\{?([A-Z_][A-Z0-9_]*)").matcher(Files.readString(Path.of("..", "bin", "fortress")));
        while (m.find()) {
            if (!m.group(1).equals("BASH_SOURCE")) {
                assertThat(page).as("bin/fortress reads " + m.group(1)).contains("| `" + m.group(1) + "` | ");
            }
        }
    }

    /** Every name cluster env exports or unsets, read from its real output for a real embedded cluster, is on the page. */
    @Test
    void everyVariableClusterEnvPrintsIsOnThePage() throws Exception {
        Path work = Files.createTempDirectory("fortress-cli-reference");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x")); // the server user must reach it
        Map<String, String> env = FortressProcess.environment(work.resolve("data"), FortressProcess.freePort());
        try {
            CliRun start = CliRun.of(env, "cluster", "start");
            assertThat(start.status()).as(start.err()).isZero();
            CliRun exports = CliRun.of(env, "cluster", "env");
            assertThat(exports.status()).as(exports.err()).isZero();
            List<String> names = new ArrayList<>();
            for (String line : exports.out().split("\n")) {
                Matcher export = Pattern.compile("export (\\w+)=.*").matcher(line);
                if (export.matches()) {
                    names.add(export.group(1));
                } else if (line.startsWith("unset ")) {
                    names.addAll(List.of(line.substring("unset ".length()).strip().split("\\s+")));
                }
            }
            assertThat(names).contains(Target.CLUSTER_ENV_MARKER, "DB_POOLER", "DB_DIRECT_HOSTS");
            String section = section(Files.readString(PAGE, StandardCharsets.UTF_8), "### Exported by `fortress cluster env`");
            for (String name : names) {
                assertThat(section).as(name + " is exported by cluster env").contains("| `" + name + "` | ");
            }
            assertThat(names).as("the page's list is cluster env's").containsExactlyInAnyOrderElementsOf(
                    CliReference.CLUSTER_ENV_VARIABLES.keySet());
        } finally {
            if (Files.exists(work.resolve("data").resolve("cluster"))) {
                EmbeddedCluster.builder(env).build().inspect().stopAll();
            }
            try (Stream<Path> paths = Files.walk(work)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void collect(CommandLine c, List<CommandLine> all) {
        all.add(c);
        c.getSubcommands().values().forEach(sub -> collect(sub, all));
    }

    /** The text from a heading to the next heading. */
    private static String section(String page, String heading) {
        int start = page.indexOf(heading + "\n");
        assertThat(start).as(heading).isNotNegative();
        int end = page.indexOf("\n#", start + heading.length());
        return page.substring(start, end < 0 ? page.length() : end);
    }
}
