package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalClusterExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23 §3, each attack performed on a real {@code fortress serve} with real sockets: slow clients (a request sent a
 * byte at a time, a TLS handshake that stalls) do not stop the probes from answering, oversized headers and bodies are cut
 * off, a web page's DNS rebinding cannot read a loopback listener, readiness details need the token, and a token that
 * would cross the network in clear is refused.
 */
class ServeHostileClientsIT {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final String TOKEN = "hostile-clients-t0ken-" + Long.toHexString(System.nanoTime());
    private static final int SLOW_CONNECTIONS = 200;
    /** Short, so that the test sees the server cut slow connections; the default is 10s. */
    private static final int REQUEST_TIMEOUT_SECONDS = 2;
    /** A probe answered in more than this while the attack goes on counts as not answered (kubelet's default is 1 s). */
    private static final Duration PROBE_BOUND = Duration.ofSeconds(5);

    @TempDir
    Path work;

    private Map<String, String> environment(int port) {
        Map<String, String> env = new HashMap<>(CliEnvironment.of(CLUSTER.cluster(), CLUSTER.cluster().database(),
                work.resolve("backups").toString()));
        env.put("FORTRESS_HTTP_ADDR", "127.0.0.1:" + port);
        env.put("FORTRESS_HTTP_REQUEST_TIMEOUT", REQUEST_TIMEOUT_SECONDS + "s");
        return env;
    }

    @Test
    void probesAnswerWhile200ConnectionsSendTheirRequestAByteAtATime() throws Exception {
        int port = FortressProcess.freePort();
        Path log = work.resolve("serve.log");
        Process serve = FortressProcess.serve(environment(port), log);
        try {
            byte[] opening = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            try (SlowClients attack = new SlowClients(port, SLOW_CONNECTIONS, opening, (byte) 'a', 200)) {
                Probes probes = Probes.during(Duration.ofSeconds(3 * REQUEST_TIMEOUT_SECONDS + 2),
                        () -> FortressProcess.get(port, "/health/live").statusCode());
                System.out.println("plain http, " + SLOW_CONNECTIONS + " slow requests: " + probes + "; slow connections cut by the server "
                        + attack.cutByServer() + ", the longest-lived " + attack.longestLifeMillis() + " ms");
                assertThat(probes.failures()).as("probes that did not get 200 under the attack: " + probes).isEmpty();
                assertThat(probes.worst()).as(probes.toString()).isLessThan(PROBE_BOUND);
                // the server cut the slow requests after FORTRESS_HTTP_REQUEST_TIMEOUT, without an answer
                assertThat(attack.cutByServer()).isGreaterThanOrEqualTo(SLOW_CONNECTIONS);
                assertThat(attack.answered()).isZero();
                assertThat(attack.longestLifeMillis()).isLessThan((REQUEST_TIMEOUT_SECONDS + 5) * 1000L);
            }
            assertThat(FortressProcess.get(port, "/health/live").statusCode()).isEqualTo(200);
        } finally {
            FortressProcess.stop(serve);
        }
    }

    @Test
    void oversizedHeadersAndBodiesAreCutOffAndForeignHostNamesRefused() throws Exception {
        int port = FortressProcess.freePort();
        Process serve = FortressProcess.serve(environment(port), work.resolve("serve.log"));
        try {
            // 32 KiB of headers: the server closes the connection without reading further, and answers nothing
            String big = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "b".repeat(32 * 1024) + "\r\n\r\n";
            assertThat(send(port, big)).as("a response to 32 KiB of headers").isEmpty();
            StringBuilder many = new StringBuilder("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            for (int i = 0; i < 200; i++) {
                many.append("X-Many-").append(i).append(": x\r\n");
            }
            assertThat(send(port, many.append("\r\n").toString())).as("a response to 200 header lines").isEmpty();

            // a body announced as 100 MB is refused at once, none of it read
            String body = send(port, "POST /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\nsome");
            assertThat(body).startsWith("HTTP/1.1 413").contains("take no request body");
            assertThat(send(port, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"))
                    .startsWith("HTTP/1.1 413");

            // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends its own name as Host
            String rebound = send(port, "GET /metrics HTTP/1.1\r\nHost: evil.example:" + port + "\r\nConnection: close\r\n\r\n");
            assertThat(rebound).startsWith("HTTP/1.1 403").contains("Host evil.example:" + port + " is not a name of this listener")
                    .doesNotContain("fortress_db");
            for (String name : new String[] {"localhost", "127.0.0.1", "[::1]", "LOCALHOST"}) {
                assertThat(send(port, "GET /health/live HTTP/1.1\r\nHost: " + name + ":" + port + "\r\nConnection: close\r\n\r\n"))
                        .as("Host " + name).startsWith("HTTP/1.1 200");
            }
            assertThat(FortressProcess.get(port, "/health/live").statusCode()).isEqualTo(200);
        } finally {
            FortressProcess.stop(serve);
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAsTheyArriveAndSilentOnesExpire() throws Exception {
        int port = FortressProcess.freePort();
        Map<String, String> env = environment(port);
        env.put("FORTRESS_HTTP_MAX_CONNECTIONS", "16");
        Process serve = FortressProcess.serve(env, work.resolve("serve.log"));
        java.util.List<Socket> silent = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) { // connect, send nothing
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                s.setSoTimeout(3_000);
                silent.add(s);
            }
            int closedAtOnce = 0;
            for (Socket s : silent.subList(16, 40)) {
                try {
                    if (s.getInputStream().read() < 0) {
                        closedAtOnce++; // what a client over the cap sees: the connection closed, no answer
                    }
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // not closed
                } catch (IOException reset) {
                    closedAtOnce++;
                }
            }
            assertThat(closedAtOnce).as("connections beyond FORTRESS_HTTP_MAX_CONNECTIONS=16 closed at once").isEqualTo(24);
            // the 16 that got in hold no thread and are closed after FORTRESS_HTTP_REQUEST_TIMEOUT (checked every second)
            long start = System.nanoTime();
            for (Socket s : silent.subList(0, 16)) {
                s.setSoTimeout((REQUEST_TIMEOUT_SECONDS + 5) * 1000);
                try {
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                } catch (IOException reset) {
                    // closed as well
                }
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(REQUEST_TIMEOUT_SECONDS + 5));
            assertThat(FortressProcess.get(port, "/health/live").statusCode()).isEqualTo(200);
        } finally {
            for (Socket s : silent) {
                s.close();
            }
            FortressProcess.stop(serve);
        }
    }

    @Test
    void overTlsProbesAnswerWhile200HandshakesStallAndReadinessDetailsNeedTheToken() throws Exception {
        Path cert = work.resolve("cert.pem");
        Path key = work.resolve("key.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
        String opensslOut = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(openssl.waitFor()).as(opensslOut).isZero();
        Path tokenFile = tokenFile();

        int port = FortressProcess.freePort();
        Map<String, String> env = environment(port);
        env.put("FORTRESS_HTTP_TLS_CERT_FILE", cert.toString());
        env.put("FORTRESS_HTTP_TLS_KEY_FILE", key.toString());
        env.put("FORTRESS_HTTP_TOKEN_FILE", tokenFile.toString());
        Path log = work.resolve("serve-tls.log");
        Process serve = FortressProcess.serve(env, log);
        HttpClient https = HttpClient.newBuilder().sslContext(HttpTls.clientContext(env)).connectTimeout(Duration.ofSeconds(5)).build();
        try {
            // a TLS record announcing a 512-byte ClientHello, of which only the start ever arrives
            byte[] cutHello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
            try (SlowClients attack = new SlowClients(port, SLOW_CONNECTIONS, cutHello, (byte) 0, 200)) {
                Probes probes = Probes.during(Duration.ofSeconds(3 * REQUEST_TIMEOUT_SECONDS + 2), () -> https.send(
                        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/health/live")).timeout(Duration.ofSeconds(10))
                                .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
                System.out.println("https, " + SLOW_CONNECTIONS + " stalled handshakes: " + probes + "; stalled connections cut by the server "
                        + attack.cutByServer() + ", the longest-lived " + attack.longestLifeMillis() + " ms");
                assertThat(probes.failures()).as("probes that did not get 200 under the attack: " + probes).isEmpty();
                assertThat(probes.worst()).as(probes.toString()).isLessThan(PROBE_BOUND);
                assertThat(attack.cutByServer()).isGreaterThanOrEqualTo(SLOW_CONNECTIONS);
                assertThat(attack.longestLifeMillis()).isLessThan((REQUEST_TIMEOUT_SECONDS + 5) * 1000L);
            }

            // readiness: a probe without the token gets the verdict alone; service names and versions need the token
            HttpResponse<String> bare = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/health/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(bare.statusCode()).isEqualTo(200);
            assertThat(bare.body()).isEqualTo("{\"ready\":true}");
            HttpResponse<String> detailed = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/health/ready"))
                    .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(detailed.statusCode()).isEqualTo(200);
            assertThat(detailed.body()).contains("\"ready\":true").contains("\"credits\"").contains("\"version\"");
        } finally {
            FortressProcess.stop(serve);
        }
        assertThat(Files.readString(log)).doesNotContain(TOKEN);
    }

    @Test
    void aTokenOverPlainHttpOnANonLoopbackAddressIsRefusedBeforeItListens() throws Exception {
        Path tokenFile = tokenFile();
        Map<String, String> env = environment(FortressProcess.freePort());
        env.put("FORTRESS_HTTP_ADDR", "0.0.0.0:" + FortressProcess.freePort());
        env.put("FORTRESS_HTTP_TOKEN_FILE", tokenFile.toString());
        CliRun refused = CliRun.of(env, "serve");
        assertThat(refused.status()).isNotZero();
        assertThat(refused.err()).contains("would cross the network in clear").contains("FORTRESS_HTTP_TLS_CERT_FILE")
                .contains("FORTRESS_HTTP_ALLOW_PLAINTEXT_TOKEN=true").doesNotContain(TOKEN);
    }

    /** Writes the request on a fresh connection and returns all the server sent back until it closed (empty: nothing). */
    private static String send(int port, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(15_000);
            try {
                s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            } catch (IOException cutWhileWriting) {
                // the server closed the connection before it had all of it: what it answered (if anything) is still readable
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    got.write(buffer, 0, n);
                    if (got.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n") && complete(got.toString(StandardCharsets.US_ASCII))) {
                        break;
                    }
                }
            } catch (IOException reset) {
                // a reset after (or instead of) the answer
            }
            return got.toString(StandardCharsets.US_ASCII);
        }
    }

    /** Whether a response holds its whole body (by Content-Length). */
    private static boolean complete(String response) {
        int end = response.indexOf("\r\n\r\n");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(response.substring(0, end));
        return m.find() && response.length() - end - 4 >= Integer.parseInt(m.group(1));
    }

    /** The token in a file only its owner may read, as serve requires. */
    private Path tokenFile() throws IOException {
        Path tokenFile = work.resolve("http.token");
        Files.writeString(tokenFile, TOKEN + "\n");
        Files.setPosixFilePermissions(tokenFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return tokenFile;
    }
}
