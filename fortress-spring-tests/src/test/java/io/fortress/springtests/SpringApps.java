package io.fortress.springtests;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts a test application on a LocalCluster as its users would configure it, and talks to it over real HTTP. */
public final class SpringApps {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private SpringApps() {
    }

    /** The fortress.* properties that point an application at the cluster: the primary and its replicas. */
    public static List<String> fortressProperties(LocalCluster c) {
        return List.of("fortress.host=" + Node.HOST, "fortress.port=" + c.primary().port(), "fortress.user=" + c.superuser(),
                "fortress.password=" + c.password(), "fortress.database=" + c.database(),
                "fortress.replica-hosts=" + c.replicas().stream().map(Node::address).collect(Collectors.joining(",")),
                "fortress.health-interval=1s", "fortress.health-fast-interval=200ms");
    }

    /** Starts the application with a web server on a free loopback port, on the cluster, with more properties. */
    public static ConfigurableApplicationContext start(Class<?> application, LocalCluster c, String... properties) {
        List<String> all = new ArrayList<>(fortressProperties(c));
        all.add("server.port=0");
        all.add("server.address=127.0.0.1");
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(application).properties(all.toArray(String[]::new)).run();
    }

    public static URI uri(ConfigurableApplicationContext app, String path) {
        return URI.create("http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port") + path);
    }

    public static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public static HttpResponse<String> get(ConfigurableApplicationContext app, String path, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(app, path)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request);
    }

    public static HttpResponse<String> post(ConfigurableApplicationContext app, String path, String json, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(app, path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request);
    }
}
