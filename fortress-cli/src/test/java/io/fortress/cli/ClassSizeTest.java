package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No main class of any module grows past 450 lines (issue #25): a class that long does more than one job,
 * and the next engineer cannot change it without fear. Split it along its jobs rather than raising the limit.
 */
class ClassSizeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final int MOST_LINES = 450;

    @Test
    void noMainClassIsOver450Lines() throws IOException {
        List<String> tooLong;
        try (Stream<Path> files = Files.walk(ROOT)) {
            tooLong = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> ROOT.relativize(p).toString().contains("src/main/java/"))
                    .filter(p -> !ROOT.relativize(p).toString().contains("/target/"))
                    .filter(p -> lines(p) > MOST_LINES)
                    .map(p -> ROOT.relativize(p) + " (" + lines(p) + " lines)")
                    .toList();
        }
        assertThat(tooLong).as("main classes over " + MOST_LINES + " lines").isEmpty();
    }

    @Test
    void theCheckSeesTheModulesMainCode() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT)) {
            assertThat(files.filter(p -> p.endsWith(Path.of("fortress-cluster/src/main/java/io/fortress/cluster/LocalCluster.java"))))
                    .as("a known main class is among the files checked").hasSize(1);
        }
    }

    private static long lines(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
