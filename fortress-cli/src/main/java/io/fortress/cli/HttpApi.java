package io.fortress.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fortress.db.Database;
import io.fortress.db.api.HealthStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints of {@code fortress serve}, on the JDK's HTTP server. No endpoint queries a
 * database per request: health comes from the checker's cached snapshot, readiness from a result
 * refreshed at most once a second, metrics from counters.
 *
 * <ul>
 *   <li>{@code GET /}: the operator's status page ({@link StatusPage}), HTML that reloads itself.</li>
 *   <li>{@code GET /health/database}: 200 when the primary takes writes, 503 otherwise; every node's role,
 *       state, reason and lag, and the snapshot's age.</li>
 *   <li>{@code GET /health/live}: 200 while the process runs; never touches a database.</li>
 *   <li>{@code GET /health/ready}: 200 when the primary takes writes and every service's migrations are current; the body is
 *       {@code {"ready":true|false}}, with each service's versions and errors for who holds the token (or without one).</li>
 *   <li>{@code GET /metrics/database}: the stats JSON.</li>
 *   <li>{@code GET /metrics}: every meter in the Prometheus text format.</li>
 * </ul>
 * HEAD answers with the status alone, as load balancers' checks like it. A request with a body gets 413, and a loopback
 * listener without a token checks the Host header ({@link #checkedHostNames}); {@link HttpLimits} bounds the rest.
 */
final class HttpApi {
    private static final String JSON_TYPE = "application/json; charset=utf-8";

    private final HttpServer server;
    /** The routing table: every endpoint and its handler, in the order the 404 answer and serve's banner list them. */
    private final Map<String, Function<HttpExchange, Response>> routes = new LinkedHashMap<>();
    private final ExecutorService executor;

    /** The endpoints a probe reaches without the token: they say alive or ready, nothing more. */
    static final List<String> OPEN_PATHS = List.of("/health/live", "/health/ready");

    /** SHA-256 of the token every other endpoint requires; null when serve runs without one. */
    private final byte[] tokenDigest;
    private final Set<String> hostNames;

    /**
     * @param limits    the listener's bounds; {@link HttpLimits#applyToJdkServer()} must have run before {@code server} was created
     * @param hostNames the names a request's Host header may give (any port), or null to take any: a loopback listener
     *                  without a token checks them, so that a web page cannot read it through DNS rebinding
     */
    HttpApi(HttpServer server, HttpLimits limits, Set<String> hostNames, Database db, Readiness readiness, PrometheusMeterRegistry registry,
            io.fortress.db.backup.BackupManager backups, byte[] token, StatusPage page) {
        this.tokenDigest = token == null ? null : sha256(token);
        this.hostNames = hostNames;
        this.server = server;
        this.executor = limits.executor();
        server.setExecutor(executor);
        routes.put("/", exchange -> new Response(200, "text/html; charset=utf-8", page.render()));
        routes.put("/health/database", exchange -> {
            HealthStatus status = db.healthChecker().status();
            ObjectNode body = HealthJson.of(status);
            if (backups != null) {
                body.set("backup", HealthJson.backup(backups));
            }
            return new Response(status.primaryHealthy() ? 200 : 503, JSON_TYPE, body.toString());
        });
        routes.put("/health/live", exchange -> new Response(200, JSON_TYPE, "{\"status\":\"alive\"}"));
        routes.put("/health/ready", exchange -> {
            Readiness.State state = readiness.current();
            // service names, versions and errors are for who holds the token; a probe needs the status alone
            String body = hasToken(exchange) ? state.toJson() : "{\"ready\":" + state.ready() + "}";
            return new Response(state.ready() ? 200 : 503, JSON_TYPE, body);
        });
        routes.put("/metrics", exchange -> new Response(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        routes.put("/metrics/database", exchange -> new Response(200, JSON_TYPE, db.stats().toJson()));
        ObjectNode notFound = HealthJson.JSON.createObjectNode().put("error", "not found");
        routes.keySet().forEach(notFound.putArray("endpoints")::add);
        server.createContext("/", exchange -> dispatch(exchange, notFound.toString()));
    }

    /** Every endpoint's path. */
    List<String> paths() {
        return List.copyOf(routes.keySet());
    }

    private record Response(int status, String type, String body) {
    }

    /**
     * The one routing step: an exact path of {@link #routes} answers GET and HEAD (405 otherwise), anything else 404 with the
     * list of endpoints; authorization comes first, so that an unauthorized caller learns nothing about paths.
     */
    private void dispatch(HttpExchange exchange, String notFound) throws IOException {
        String path = java.util.Objects.requireNonNullElse(exchange.getRequestURI().getPath(), ""); // null for an opaque URI
        if (!authorized(exchange, path)) {
            return;
        }
        Function<HttpExchange, Response> handler = routes.get(path);
        if (handler == null) {
            respond(exchange, 404, JSON_TYPE, notFound);
            return;
        }
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(exchange, 405, JSON_TYPE, "{\"error\":\"method not allowed\"}");
            return;
        }
        Response r;
        try {
            r = handler.apply(exchange);
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(HttpApi.class).warn("{} failed: {}", path, e.toString());
            r = new Response(500, JSON_TYPE, "{\"error\":\"internal error\"}");
        }
        respond(exchange, r.status, r.type, r.body);
    }

    /**
     * Whether the request may see {@code path}: always for {@link #OPEN_PATHS} and without a token; otherwise only with
     * {@code Authorization: Bearer <token>}, compared in constant time (as digests of equal length). Answers 401 itself.
     */
    private boolean authorized(HttpExchange exchange, String path) throws IOException {
        if (!acceptable(exchange)) {
            return false;
        }
        if (tokenDigest == null || OPEN_PATHS.contains(path) || hasToken(exchange)) {
            return true;
        }
        // a browser cannot send a bearer token, but it asks for a password when told Basic: the status page takes the token so
        exchange.getResponseHeaders().set("WWW-Authenticate", path.equals("/") || !routes.containsKey(path) ? "Basic realm=\"fortress\", charset=\"UTF-8\""
                : "Bearer realm=\"fortress\"");
        respond(exchange, 401, JSON_TYPE, "{\"error\":\"unauthorized: send Authorization: Bearer <the token in FORTRESS_HTTP_TOKEN_FILE>\"}");
        return false;
    }

    /** True when serve runs without a token, or the request presents it. */
    private boolean hasToken(HttpExchange exchange) {
        return tokenDigest == null
                || java.security.MessageDigest.isEqual(sha256(presentedToken(exchange.getRequestHeaders().getFirst("Authorization"))), tokenDigest);
    }

    /**
     * Refuses, answering itself, a request with a body (no endpoint takes one: 413, and the connection is closed rather
     * than read) and, where {@link #hostNames} are checked, one whose Host header names another host (403): a web page
     * that rebound its own name to 127.0.0.1 sends its name there.
     */
    private boolean acceptable(HttpExchange exchange) throws IOException {
        var headers = exchange.getRequestHeaders();
        String length = headers.getFirst("Content-Length");
        if (headers.containsKey("Transfer-Encoding") || length != null && !length.strip().equals("0")) {
            exchange.getResponseHeaders().set("Connection", "close");
            respond(exchange, 413, JSON_TYPE, "{\"error\":\"fortress serve's endpoints take no request body; send GET or HEAD "
                    + "without one\"}");
            return false;
        }
        String host = headers.getFirst("Host");
        if (hostNames != null && host != null && !hostNames.contains(hostName(host))) {
            respond(exchange, 403, JSON_TYPE, HealthJson.JSON.createObjectNode().put("error", "Host " + host + " is not a name of "
                    + "this listener: without FORTRESS_HTTP_TOKEN_FILE it answers only requests for " + String.join(", ", hostNames)
                    + " (a web page must not read it through DNS rebinding)").toString());
            return false;
        }
        return true;
    }

    /** The host of a Host header, lower case, without the port: {@code [::1]:8080} is {@code [::1]}. */
    static String hostName(String header) {
        String h = header.strip().toLowerCase(java.util.Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon >= 0 && colon > h.lastIndexOf(']') && h.substring(colon + 1).chars().allMatch(Character::isDigit)) {
            h = h.substring(0, colon);
        }
        return h;
    }

    /**
     * The names a loopback listener without a token answers to: localhost, 127.0.0.1, [::1] and the host of
     * FORTRESS_HTTP_ADDR; null (any name) for any other listener, which the token or FORTRESS_HTTP_ALLOW_OPEN governs.
     */
    static Set<String> checkedHostNames(String address, boolean token) {
        if (token || !CliSettings.isLoopback(address)) {
            return null;
        }
        String configured = CliSettings.host(address).toLowerCase(java.util.Locale.ROOT);
        Set<String> names = new java.util.LinkedHashSet<>(List.of("localhost", "127.0.0.1", "[::1]"));
        names.add(configured.contains(":") ? "[" + configured + "]" : configured);
        return java.util.Collections.unmodifiableSet(names);
    }

    /** The token a request presents: {@code Bearer <token>}, or {@code Basic} with the token as the password (any user name). */
    private static byte[] presentedToken(String header) {
        if (header == null) {
            return new byte[0];
        }
        if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        }
        if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(java.util.Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
                return pair.substring(pair.indexOf(':') + 1).getBytes(StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notBase64) {
                return new byte[0];
            }
        }
        return new byte[0];
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    void start() {
        server.start();
    }

    /** Stops accepting requests, lets those in progress finish for up to a second. */
    void stop() {
        server.stop(1);
        executor.shutdownNow();
    }
}
