package io.fortress.bench;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** One of the Spring Boot examples as a process of its own, with the starter or on Spring Boot's own HikariCP DataSource. */
final class ExampleApp implements AutoCloseable {
    /** How the application reaches the cluster. */
    enum Setup {
        /** fortress's starter, reads on the replicas */
        STARTER,
        /** fortress's starter given the primary alone: every read on the primary, as the plain application's */
        STARTER_PRIMARY_ONLY,
        /** fortress's auto-configuration excluded: Spring Boot's HikariCP DataSource on the primary */
        PLAIN
    }

    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ExampleApp(Path jar, LocalCluster cluster, Setup setup, int poolSize) throws Exception {
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing; bench/run builds it");
        }
        port = freePort();
        log = Files.createTempFile("bench-app", ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar",
                jar.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DB_") || k.startsWith("PG") || k.startsWith("SPRING_"));
        env.put("SERVER_PORT", Integer.toString(port));
        env.put("LOGGING_LEVEL_ROOT", "WARN");
        if (setup == Setup.PLAIN) {
            env.put("SPRING_AUTOCONFIGURE_EXCLUDE", "io.fortress.spring.FortressAutoConfiguration");
            env.put("SPRING_DATASOURCE_URL", cluster.primary().jdbcUrl());
            env.put("SPRING_DATASOURCE_USERNAME", cluster.superuser());
            env.put("SPRING_DATASOURCE_PASSWORD", cluster.password());
            env.put("SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE", Integer.toString(poolSize));
            env.put("SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE", Integer.toString(poolSize));
        } else {
            env.put("DB_HOST", Node.HOST);
            env.put("DB_PORT", Integer.toString(cluster.primary().port()));
            env.put("DB_USER", cluster.superuser());
            env.put("PGPASSWORD", cluster.password());
            env.put("DB_NAME", cluster.database());
            if (setup == Setup.STARTER) {
                env.put("DB_REPLICA_HOSTS", cluster.replicas().stream().map(Node::address).collect(Collectors.joining(",")));
            }
            env.put("DB_MAX_OPEN_CONNS", Integer.toString(poolSize));
            env.put("DB_MAX_IDLE_CONNS", Integer.toString(poolSize));
        }
        process = pb.start();
        try {
            awaitUp();
        } catch (Exception | Error e) {
            close(); // a run that did not come up leaves no process behind
            throw e;
        }
    }

    private void awaitUp() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the example exited:\n" + Files.readString(log));
            }
            try {
                if (get("/actuator/health") == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the example did not come up:\n" + Files.readString(log));
    }

    int get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    int post(String path, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** CPU time the application's process has used so far. */
    Duration cpu() {
        return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(log);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
