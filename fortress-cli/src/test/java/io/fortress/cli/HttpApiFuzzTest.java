package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpServer;
import io.fortress.db.fuzz.Fuzz;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attacks the parts of {@code fortress serve}'s {@link HttpApi} that read a request: its path (dot
 * segments, encodings, prefixes of endpoints, absolute URIs), its Authorization header (Bearer and Basic
 * in any case, broken base64, tokens with spaces, other schemes), its Host header (ports, IPv6, case,
 * junk) and body headers, against every endpoint's handler, on in-memory exchanges (no socket, no server).
 * Every handler answers once within the time bound with one of its statuses and throws nothing; a body is
 * 413, a foreign Host where Host is checked 403; with a token configured, only the exact open paths and a
 * request presenting the token get anything but 401; without one, nothing is 401.
 */
class HttpApiFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("http-requests");
    private static final String TOKEN = "s3cret-token-0123456789";

    @Provide
    Arbitrary<String> requestLines() {
        return Fuzz.mutants(CORPUS, Fuzz.fragments("/", "//", "..", "%2F", "%2e", "%", "?", "#", "health", "live", "ready", "metrics",
                "database", " ", "GET ", "HEAD ", "get ", "\u00e9", ";", "http://h"));
    }

    @Provide
    Arbitrary<String> authorizations() {
        Arbitrary<String> scheme = Arbitraries.of("Bearer ", "bearer ", "BEARER  ", "Bearer\t", "Basic ", "basic ", "Token ", "", "Bearer");
        Arbitrary<String> presented = Arbitraries.oneOf(Arbitraries.just(TOKEN), Arbitraries.just(" " + TOKEN + " "),
                Arbitraries.just(TOKEN + "x"), Arbitraries.just(TOKEN.substring(1)),
                Arbitraries.strings().ofMaxLength(8).map(user -> b64(user + ":" + TOKEN)), Arbitraries.just(b64(TOKEN)),
                Arbitraries.just(b64(":")), Arbitraries.just("!!not base64!!"), Arbitraries.strings().all().ofMaxLength(30));
        return Arbitraries.oneOf(Combinators.combine(scheme, presented).as(String::concat), Arbitraries.just("(none)"),
                Arbitraries.strings().all().ofMaxLength(40));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<String> hosts() {
        return Arbitraries.oneOf(Arbitraries.of("127.0.0.1:8080", "localhost", "LOCALHOST:1", "[::1]:8080", "[::1]", "::1", "evil.example",
                        "evil.example:8080", "127.0.0.1:", "127.0.0.1:80x", "", " localhost ", "localhost.", "127.0.0.1:8080:1", "(none)"),
                Arbitraries.strings().all().ofMaxLength(12));
    }

    @Provide
    Arbitrary<String> bodyHeaders() {
        return Arbitraries.of("(none)", "Content-Length: 0", "Content-Length:  0 ", "Content-Length: 1", "Content-Length: -1",
                "Content-Length: x", "Transfer-Encoding: chunked", "Transfer-Encoding: ");
    }

    @Property
    void everyHandlerAnswersOnceAndOnlyTheTokenOpensClosedPaths(@ForAll("requestLines") String requestLine,
                                                                 @ForAll("authorizations") String authorization,
                                                                 @ForAll("hosts") String host, @ForAll("bodyHeaders") String body,
                                                                 @ForAll boolean withToken, @ForAll boolean checksHost) throws Exception {
        check(requestLine, authorization, host, body, withToken, checksHost);
    }

    @Property
    void hostNamesDropOnlyAPort(@ForAll("hosts") String host) throws Exception {
        String name = Fuzz.within(host, () -> HttpApi.hostName(host));
        assertThat(host.strip().toLowerCase(java.util.Locale.ROOT)).as("Host %s", Fuzz.show(host)).startsWith(name);
    }

    @Example
    void corpus() throws Exception {
        for (String requestLine : CORPUS) {
            for (String authorization : List.of("(none)", "Bearer " + TOKEN, "Basic " + b64("u:" + TOKEN), "Bearer x")) {
                for (String host : List.of("127.0.0.1:8080", "evil.example", "(none)")) {
                    check(requestLine, authorization, host, "(none)", true, false);
                    check(requestLine, authorization, host, "(none)", false, true);
                    check(requestLine, authorization, host, "Content-Length: 1", false, false);
                }
            }
        }
    }

    private static void check(String requestLine, String authorization, String host, String body, boolean withToken,
                              boolean checksHost) throws Exception {
        int space = requestLine.indexOf(' ');
        Assume.that(space > 0);
        String method = requestLine.substring(0, space);
        URI uri;
        try {
            uri = new URI(requestLine.substring(space + 1)); // the JDK server answers 400 to what URI refuses
        } catch (URISyntaxException notARequest) {
            Assume.that(false);
            return;
        }
        Assume.that(uri.getPath() != null);
        // the server splits a request at line ends, so no header value holds CR or LF (Headers refuses them too)
        Assume.that(authorization.indexOf('\r') < 0 && authorization.indexOf('\n') < 0 && host.indexOf('\r') < 0 && host.indexOf('\n') < 0);
        java.util.Set<String> hostNames = checksHost ? HttpApi.checkedHostNames("127.0.0.1:8080", false) : null;
        Map<String, HttpHandler> handlers = handlers(withToken ? TOKEN.getBytes(StandardCharsets.UTF_8) : null, hostNames);
        boolean hasBody = body.startsWith("Transfer-Encoding") || body.startsWith("Content-Length") && !body.substring(15).strip().equals("0");
        boolean foreignHost = hostNames != null && !host.equals("(none)") && !hostNames.contains(HttpApi.hostName(host));
        boolean presentsToken = presentsToken(authorization);
        for (Map.Entry<String, HttpHandler> context : handlers.entrySet()) {
            FakeExchange exchange = new FakeExchange(method, uri, authorization.equals("(none)") ? null : authorization,
                    host.equals("(none)") ? null : host, body.equals("(none)") ? null : body);
            Fuzz.within(requestLine, () -> {
                context.getValue().handle(exchange);
                return null;
            });
            String what = method + " " + uri + " with " + Fuzz.show(authorization) + ", Host " + Fuzz.show(host) + ", " + body
                    + " on the handler of " + context.getKey() + (withToken ? " with a token" : "") + (checksHost ? ", checking Host" : "");
            assertThat(exchange.statuses).as(what).hasSize(1);
            int status = exchange.statuses.get(0);
            assertThat(status).as(what).isIn(200, 401, 403, 404, 405, 413, 500);
            if (hasBody) {
                assertThat(status).as(what).isEqualTo(413);
                continue;
            }
            if (foreignHost) {
                assertThat(status).as(what).isEqualTo(403);
                continue;
            }
            assertThat(status).as(what).isNotIn(403, 413);
            boolean open = HttpApi.OPEN_PATHS.contains(uri.getPath());
            if (withToken && !open && !presentsToken) {
                assertThat(status).as(what).isEqualTo(401);
            }
            if (!withToken || presentsToken) {
                assertThat(status).as(what).isNotEqualTo(401);
            }
            assertThat(exchange.closed).as(what).isTrue();
        }
    }

    /** The forms that present the token: Bearer (any case) and the token, or Basic and base64 of user:token or of the token. */
    private static boolean presentsToken(String authorization) {
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).strip().equals(TOKEN);
        }
        if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
                return pair.substring(pair.indexOf(':') + 1).equals(TOKEN);
            } catch (IllegalArgumentException notBase64) {
                return false;
            }
        }
        return false;
    }

    /** Every context HttpApi registers, with no database behind it (a handler that needs one answers 500). */
    private static Map<String, HttpHandler> handlers(byte[] token, java.util.Set<String> hostNames) {
        FakeServer server = new FakeServer();
        HttpApi api = new HttpApi(server, new HttpLimits(java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(10), 8), hostNames,
                null, null, null, null, token, null);
        api.stop();
        return server.contexts;
    }

    private static final class FakeServer extends HttpServer {
        final Map<String, HttpHandler> contexts = new LinkedHashMap<>();

        @Override
        public HttpContext createContext(String path, HttpHandler handler) {
            contexts.put(path, handler);
            return null;
        }

        @Override
        public void bind(InetSocketAddress addr, int backlog) {
        }

        @Override
        public void start() {
        }

        @Override
        public void setExecutor(Executor executor) {
        }

        @Override
        public Executor getExecutor() {
            return null;
        }

        @Override
        public void stop(int delay) {
        }

        @Override
        public HttpContext createContext(String path) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void removeContext(String path) {
        }

        @Override
        public void removeContext(HttpContext context) {
        }

        @Override
        public InetSocketAddress getAddress() {
            return null;
        }
    }

    private static final class FakeExchange extends HttpExchange {
        private final String method;
        private final URI uri;
        private final Headers requestHeaders = new Headers();
        private final Headers responseHeaders = new Headers();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final List<Integer> statuses = new java.util.ArrayList<>();
        boolean closed;

        FakeExchange(String method, URI uri, String authorization, String host, String body) {
            this.method = method;
            this.uri = uri;
            if (authorization != null) {
                requestHeaders.add("Authorization", authorization);
            }
            if (host != null) {
                requestHeaders.add("Host", host);
            }
            if (body != null) {
                int colon = body.indexOf(':');
                requestHeaders.add(body.substring(0, colon), body.substring(colon + 1).strip());
            }
        }

        @Override
        public Headers getRequestHeaders() {
            return requestHeaders;
        }

        @Override
        public Headers getResponseHeaders() {
            return responseHeaders;
        }

        @Override
        public URI getRequestURI() {
            return uri;
        }

        @Override
        public String getRequestMethod() {
            return method;
        }

        @Override
        public HttpContext getHttpContext() {
            return null;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public InputStream getRequestBody() {
            return InputStream.nullInputStream();
        }

        @Override
        public OutputStream getResponseBody() {
            return body;
        }

        @Override
        public void sendResponseHeaders(int rCode, long responseLength) {
            statuses.add(rCode);
        }

        @Override
        public InetSocketAddress getRemoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public int getResponseCode() {
            return statuses.isEmpty() ? -1 : statuses.get(0);
        }

        @Override
        public InetSocketAddress getLocalAddress() {
            return new InetSocketAddress("127.0.0.1", 8080);
        }

        @Override
        public String getProtocol() {
            return "HTTP/1.1";
        }

        @Override
        public Object getAttribute(String name) {
            return null;
        }

        @Override
        public void setAttribute(String name, Object value) {
        }

        @Override
        public void setStreams(InputStream i, OutputStream o) {
        }

        @Override
        public HttpPrincipal getPrincipal() {
            return null;
        }
    }
}
