package io.fortress.example.jpa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The JPA example's jar as a real process (open-in-view at its default) against a real primary and
 * two replicas, driven over HTTP: rows stored, the node of each transaction, read-your-writes across
 * two requests while no replica can have the write.
 */
class JpaOrdersAppIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void writesReadsItsWriteListsFromAReplicaAndReportsHealth() throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().replicas(2).start()) {
            int port = freePort();
            Path log = Files.createTempFile("jpa-orders-app", ".log");
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-jar", Path.of("target", "spring-boot-jpa-app.jar").toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("DB_") || k.startsWith("PG") || k.startsWith("FORTRESS_"));
            env.put("SERVER_PORT", Integer.toString(port));
            env.put("DB_HOST", Node.HOST);
            env.put("DB_PORT", Integer.toString(cluster.primary().port()));
            env.put("DB_USER", cluster.superuser());
            env.put("PGPASSWORD", cluster.password()); // the environment, not the arguments: no secret in ps
            env.put("DB_NAME", cluster.database());
            env.put("DB_REPLICA_HOSTS", cluster.replicas().stream().map(Node::address).collect(Collectors.joining(",")));
            env.put("DB_HEALTH_INTERVAL", "1s");
            env.put("DB_READ_YOUR_WRITES_WAIT", "300ms");
            Process app = pb.start();
            try {
                awaitUp(app, port, log);

                HttpResponse<String> created = send(HttpRequest.newBuilder(uri(port, "/orders")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"tea\"}")));
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                JsonNode order = JSON.readTree(created.body());
                long id = order.get("id").asLong();
                assertThat(order.get("served_by").get("port").asInt()).as("the save, on the primary").isEqualTo(cluster.primary().port());
                assertThat(cluster.primary().queryValue("SELECT item FROM shop.orders WHERE id = " + id)).as("stored").isEqualTo("tea");

                cluster.replicas().forEach(Node::pauseReplay); // the next request's read must find out that no replica has the write
                try {
                    HttpResponse<String> second = send(HttpRequest.newBuilder(uri(port, "/orders")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"coffee\"}")));
                    long secondId = JSON.readTree(second.body()).get("id").asLong();
                    String token = second.headers().firstValue("Fortress-Consistency-Token").orElseThrow();
                    HttpResponse<String> readBack = send(HttpRequest.newBuilder(uri(port, "/orders/" + secondId))
                            .header("Fortress-Consistency-Token", token).GET());
                    assertThat(readBack.statusCode()).as(readBack.body()).isEqualTo(200);
                    assertThat(JSON.readTree(readBack.body()).get("item").asText()).isEqualTo("coffee");
                    assertThat(JSON.readTree(readBack.body()).get("served_by").get("port").asInt()).as("only the primary has it")
                            .isEqualTo(cluster.primary().port());
                } finally {
                    cluster.replicas().forEach(Node::resumeReplay);
                }

                JsonNode listed = JSON.readTree(send(HttpRequest.newBuilder(uri(port, "/orders")).GET()).body());
                assertThat(listed.get("served_by").get("replica").asBoolean()).as("listed from a replica").isTrue();
                assertThat(listed.get("served_by").get("port").asInt()).isIn(cluster.replicas().stream().map(Node::port).toList());

                HttpResponse<String> bad = send(HttpRequest.newBuilder(uri(port, "/orders/" + id))
                        .header("Fortress-Consistency-Token", "nonsense").GET());
                assertThat(bad.statusCode()).isEqualTo(400);

                HttpResponse<String> health = send(HttpRequest.newBuilder(uri(port, "/actuator/health")).GET());
                assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
                JsonNode h = JSON.readTree(health.body());
                assertThat(h.get("status").asText()).isEqualTo("UP");
                JsonNode nodes = h.get("components").get("fortress").get("components");
                assertThat(nodes.fieldNames()).toIterable().containsExactlyInAnyOrder("primary", "replica-1", "replica-2");
                assertThat(nodes.get("primary").get("details").get("role").asText()).isEqualTo("primary");
                HttpResponse<String> ready = send(HttpRequest.newBuilder(uri(port, "/actuator/health/readiness")).GET());
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                assertThat(JSON.readTree(ready.body()).get("status").asText()).isEqualTo("UP");
                HttpResponse<String> schema = send(HttpRequest.newBuilder(uri(port, "/actuator/health/fortressMigrations")).GET());
                assertThat(JSON.readTree(schema.body()).get("details").get("shop").get("version").asLong()).as(schema.body()).isEqualTo(1);
                assertThat(Files.readString(log)).doesNotContain(cluster.password());
            } finally {
                app.destroy();
                if (!app.waitFor(30, TimeUnit.SECONDS)) {
                    app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
                Files.deleteIfExists(log);
            }
        }
    }

    private static void awaitUp(Process app, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!app.isAlive()) {
                throw new AssertionError("the application exited with " + app.exitValue() + ":\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            try {
                if (send(HttpRequest.newBuilder(uri(port, "/actuator/health")).GET()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the application did not come up:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
