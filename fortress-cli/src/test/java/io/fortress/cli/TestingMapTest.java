package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/testing.md maps the promises of the README and docs/ to the tests that check them: every
 * {@code Class#method} it names must exist as a test method of a class in a {@code src/test/java}
 * folder of the repository, so that a renamed or deleted test cannot leave a promise looking covered.
 */
class TestingMapTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String SECTION = "## What the documentation promises, and the tests that check it";
    private static final Pattern REFERENCE = Pattern.compile("`([A-Z][A-Za-z0-9]*)#([a-z][A-Za-z0-9]*)`");

    @Test
    void everyTestTheMapNamesExists() throws IOException {
        Set<String> references = references();
        assertThat(references).as("tests named in docs/testing.md's map").hasSizeGreaterThan(100);
        Map<String, List<Path>> classes = testClasses();
        List<String> missing = new ArrayList<>();
        for (String reference : references) {
            String type = reference.substring(0, reference.indexOf('#'));
            String method = reference.substring(reference.indexOf('#') + 1);
            List<Path> files = classes.getOrDefault(type, List.of());
            if (files.size() != 1) {
                missing.add(reference + (files.isEmpty() ? " (no test class " + type + ")" : " (" + files.size() + " classes " + type + ")"));
            } else if (!declaresTest(files.get(0), method)) {
                missing.add(reference + " (no test method " + method + " in " + ROOT.relativize(files.get(0)) + ")");
            }
        }
        assertThat(missing).as("tests docs/testing.md names that do not exist").isEmpty();
    }

    @Test
    void theMapCoversTheReadmeAndTheDocsThatMakePromises() throws IOException {
        String map = section();
        for (String page : List.of("README.md", "docs/library.md", "docs/ha.md", "docs/operations.md", "docs/backup.md",
                "docs/migrations.md", "docs/spring-boot.md", "docs/metrics.md", "docs/security.md", "docs/configuration.md", "docs/cli.md")) {
            assertThat(map).as("the map has rows for " + page).contains(page);
        }
    }

    /** The Class#method references of the map's section, in order. */
    private static Set<String> references() throws IOException {
        Set<String> found = new LinkedHashSet<>();
        Matcher m = REFERENCE.matcher(section());
        while (m.find()) {
            found.add(m.group(1) + "#" + m.group(2));
        }
        return found;
    }

    private static String section() throws IOException {
        String page = Files.readString(ROOT.resolve("docs").resolve("testing.md"), StandardCharsets.UTF_8);
        int start = page.indexOf(SECTION);
        assertThat(start).as("docs/testing.md has the section " + SECTION).isNotNegative();
        int end = page.indexOf("\n## ", start + SECTION.length());
        return end < 0 ? page.substring(start) : page.substring(start, end);
    }

    /** Every .java file under a src/test/java folder of the repository, by simple name. */
    private static Map<String, List<Path>> testClasses() throws IOException {
        Map<String, List<Path>> classes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/java/")
                            && !p.toString().contains("/target/") && !p.toString().contains("/.git/"))
                    .forEach(p -> classes.computeIfAbsent(p.getFileName().toString().replace(".java", ""), k -> new ArrayList<>()).add(p));
        }
        return classes;
    }

    /** True when the file declares {@code void method(} under a JUnit or jqwik test annotation. */
    private static boolean declaresTest(Path file, String method) throws IOException {
        // without line comments: a ';' or '}' in one must not hide the annotations before it
        String source = Files.readString(file, StandardCharsets.UTF_8).replaceAll("(?m)//.*$", "");
        Matcher declaration = Pattern.compile("\\bvoid\\s+" + Pattern.quote(method) + "\\s*\\(").matcher(source);
        if (!declaration.find()) {
            return false;
        }
        String before = source.substring(Math.max(0, source.lastIndexOf(";", declaration.start()) + 1), declaration.start());
        before = before.substring(Math.max(0, before.lastIndexOf("}") + 1));
        return before.contains("@Test") || before.contains("@Property") || before.contains("@Example");
    }
}
