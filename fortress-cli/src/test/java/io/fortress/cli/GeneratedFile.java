package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A committed file that code generates (docs/cli.md, the alert rules): the test fails when the file differs from what the
 * code makes, and with {@code -Dfortress.cli.regenerate=true} rewrites it instead.
 */
final class GeneratedFile {
    private GeneratedFile() {
    }

    /** Fails unless {@code file} holds {@code generated}; the message names its {@code source} and how to regenerate it. */
    static void assertCurrent(Path file, String generated, String source, String regenerate) throws IOException {
        if (Boolean.getBoolean("fortress.cli.regenerate")) {
            Files.writeString(file, generated, StandardCharsets.UTF_8);
        }
        String committed = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        assertThat(committed).as(file.normalize() + " differs from what " + source + " produces; regenerate it with: " + regenerate)
                .isEqualTo(generated);
    }
}
