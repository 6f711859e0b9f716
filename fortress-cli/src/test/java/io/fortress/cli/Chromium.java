package io.fortress.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real headless Chromium (Debian's chromium package) loading a page: its DOM after the page ran,
 * or a screenshot. Its own profile folder, and every background service that would reach beyond
 * loopback turned off.
 */
final class Chromium {
    private Chromium() {
    }

    static String dumpDom(String url, Path work) throws IOException, InterruptedException {
        Path out = Files.createTempFile(work, "dom", ".html");
        run(work, out, "--dump-dom", url);
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    static void screenshot(String url, Path png, Path work, int width, int height) throws IOException, InterruptedException {
        run(work, Files.createTempFile(work, "shot", ".log"), "--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height,
                "--hide-scrollbars", url);
        if (!Files.exists(png) || Files.size(png) == 0) {
            throw new IllegalStateException("chromium wrote no screenshot to " + png);
        }
    }

    private static void run(Path work, Path stdout, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + Files.createTempDirectory(work, "chromium-profile"), "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--disable-domain-reliability", "--disable-breakpad", "--metrics-recording-only", "--disable-extensions"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IllegalStateException(io.fortress.cluster.Tool.CHROMIUM.missing() + ": " + e.getMessage(), e);
        }
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("chromium " + String.join(" ", args) + " did not finish in 90 s");
        }
    }
}
