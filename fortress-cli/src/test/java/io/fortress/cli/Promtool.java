package io.fortress.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Prometheus's own checker ({@code promtool}, Debian's prometheus package), run as a process. */
final class Promtool {
    /** The repository's deploy/prometheus folder, seen from a module's working directory. */
    static final Path RULES = Path.of("..", "deploy", "prometheus");

    record Result(int exitCode, String output) {
    }

    private Promtool() {
    }

    /** Runs {@code promtool args...} in {@code dir}, with {@code stdin} (may be null); fails clearly when promtool is missing. */
    static Result run(Path dir, byte[] stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException(io.fortress.cluster.Tool.PROMTOOL.missing() + ": " + e.getMessage(), e);
        }
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin);
            }
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), output);
    }
}
