package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.Tool;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README against the repository: its length, its links, its test command (the one CI runs), the
 * optional programs that command installs, its Maven coordinates and its Java example, which must
 * compile against the library. ReadmeQuickStartIT runs its shell blocks.
 */
class ReadmeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static String readme() throws Exception {
        return Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    }

    @Test
    void isOnePageAndEveryLinkResolves() throws Exception {
        String readme = readme();
        assertThat(readme.lines().count()).as("README lines").isLessThanOrEqualTo(150);
        Matcher link = Pattern.compile("\\]\\(([^)\\s]+)\\)").matcher(readme);
        List<String> broken = new ArrayList<>();
        int links = 0;
        while (link.find()) {
            String target = link.group(1);
            if (target.startsWith("http://") || target.startsWith("https://")) {
                continue;
            }
            links++;
            String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
            Path path = ROOT.resolve(file).normalize();
            if (!path.startsWith(ROOT) || !Files.exists(path)) {
                broken.add(target + " (no such file)");
            } else if (target.contains("#") && !anchors(path).contains(target.substring(target.indexOf('#') + 1))) {
                broken.add(target + " (no such heading)");
            }
        }
        assertThat(links).as("relative links found").isGreaterThan(10);
        assertThat(broken).as("links in README.md that do not resolve").isEmpty();
    }

    /** GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces to hyphens. */
    static Set<String> anchors(Path markdown) throws Exception {
        return Files.readAllLines(markdown).stream().filter(l -> l.startsWith("#"))
                .map(l -> l.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'))
                .collect(Collectors.toSet());
    }

    @Test
    void theTestCommandIsWhatCiRuns() throws Exception {
        List<String> first = ReadmeQuickStartIT.quickStartBlocks().get(0);
        String ci = Files.readAllLines(ROOT.resolve(".ci/run")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#") && !l.startsWith("set ") && !l.startsWith("cd "))
                .collect(Collectors.joining("\n"));
        assertThat(ci).as(".ci/run's one command").startsWith("exec ");
        assertThat(first).as("the README's run and test commands").hasSize(2);
        assertThat(first.get(1)).as("the README's test command is the one .ci/run runs").isEqualTo(ci.substring("exec ".length()));
    }

    @Test
    void theTestCommandInstallsEveryOptionalProgramTheTestsDeclare() throws Exception {
        String script = Files.readString(ROOT.resolve("bin/test"));
        Matcher optional = Pattern.compile("(?m)^optional=\"([^\"]*)\"").matcher(script);
        assertThat(optional.find()).as("bin/test's optional=\"program:package ...\" line").isTrue();
        Set<String> installed = new TreeSet<>(Arrays.asList(optional.group(1).split("\\s+")));
        Set<String> declared = Arrays.stream(Tool.values()).map(t -> t.executable() + ":" + t.debianPackage())
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(installed).isEqualTo(declared);
    }

    @Test
    void theMavenCoordinatesAreThisRelease() throws Exception {
        Properties stamped = new Properties();
        try (InputStream in = ReadmeTest.class.getResourceAsStream("/fortress-version.properties")) {
            stamped.load(in);
        }
        String version = stamped.getProperty("version");
        assertThat(version).as("a release version").matches("\\d+\\.\\d+\\.\\d+");
        assertThat(readme()).contains("<artifactId>fortress-db</artifactId>\n  <version>" + version + "</version>")
                .contains("git checkout v" + version);
    }

    @Test
    void theJavaExampleCompilesAgainstTheLibrary(@TempDir Path tmp) throws Exception {
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme());
        assertThat(block.find()).as("the README's Java example").isTrue();
        String source = """
                import io.fortress.db.Database;
                import io.fortress.db.api.*;
                import io.micrometer.core.instrument.MeterRegistry;
                import java.time.Duration;
                import java.util.List;
                import javax.sql.DataSource;

                class ReadmeExample {
                    void example(MeterRegistry meterRegistry, long id, String name, long amount, long from, RowMapper<String> mapper) {
                """ + block.group(1) + """
                    }
                }
                """;
        Path file = tmp.resolve("ReadmeExample.java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean compiled = javac.getTask(diagnostics, null, null,
                List.of("-d", tmp.toString(), "-classpath", System.getProperty("java.class.path"), "-proc:none"), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(file)).call();
        assertThat(compiled).as(diagnostics.toString()).isTrue();
    }
}
