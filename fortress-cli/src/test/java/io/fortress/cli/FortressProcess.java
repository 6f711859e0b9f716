package io.fortress.cli;

import io.fortress.db.api.Setting;
import io.fortress.db.backup.BackupSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The real fortress jar run as a separate process, as an operator runs it. */
final class FortressProcess {
    static final Path JAR = Path.of("target", "fortress.jar");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final Set<String> BACKUP_VARIABLES = BackupSettings.ALL.stream().map(Setting::variable).collect(Collectors.toSet());

    private FortressProcess() {
    }

    /** A finished one-shot command. */
    record Result(int exitCode, String out, String err) {
    }

    /** The environment for commands on the embedded cluster in {@code dataDir}, serving HTTP on {@code httpPort}. */
    static Map<String, String> environment(Path dataDir, int httpPort) {
        Map<String, String> env = new HashMap<>();
        env.put("FORTRESS_DATA_DIR", dataDir.toString());
        env.put("FORTRESS_HTTP_ADDR", "127.0.0.1:" + httpPort);
        env.put("FORTRESS_HEALTH_INTERVAL", "1s");
        env.put("FORTRESS_HEALTH_TIMEOUT", "1s");
        env.put("FORTRESS_IOC_CLEANUP_INTERVAL", "1s");
        return env;
    }

    static ProcessBuilder builder(Map<String, String> env, Path log, String... args) {
        return builder(env, log, log, args);
    }

    static ProcessBuilder builder(Map<String, String> env, Path log, Path errors, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(log.toFile());
        if (errors.equals(log)) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(errors.toFile());
        }
        isolate(pb, env);
        return pb;
    }

    /** Gives the process only the test's settings: none of the caller's database, backup or fortress settings leaks in. */
    static void isolate(ProcessBuilder pb, Map<String, String> env) {
        pb.environment().keySet().removeIf(k -> k.startsWith("DB_") || k.startsWith("PG") || k.startsWith("FORTRESS_") || k.startsWith("BACKUP")
                || BACKUP_VARIABLES.contains(k));
        pb.environment().putAll(env);
    }

    static Result run(Map<String, String> env, Path workDir, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(workDir, "cmd", ".out");
        Path err = Files.createTempFile(workDir, "cmd", ".err");
        Process p = builder(env, out, err, args).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("fortress " + String.join(" ", args) + " did not finish");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    /**
     * Starts serve and waits for its banner. Should the test JVM end without stopping it (a killed fork),
     * a shutdown hook stops it as an operator would, so its servers do not outlive the tests.
     */
    static Process serve(Map<String, String> env, Path log, String... options) throws IOException, InterruptedException {
        String[] args = new String[options.length + 1];
        args[0] = "serve";
        System.arraycopy(options, 0, args, 1, options.length);
        Process p = builder(env, log, args).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(p), "stop-fortress-serve"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            if (text.contains("stop with Ctrl-C or SIGTERM")) {
                return p;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("serve exited with " + p.exitValue() + ":\n" + text);
            }
            Thread.sleep(200);
        }
        stop(p);
        throw new IllegalStateException("serve did not come up:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }

    /** SIGTERM, serve's graceful stop; then a kill if it has not ended in 30 s. Nothing when it has ended. */
    static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() {
        return io.fortress.cluster.LocalCluster.freePort();
    }
}
