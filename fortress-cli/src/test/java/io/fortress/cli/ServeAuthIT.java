package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP that only lets in who belongs: with FORTRESS_HTTP_TOKEN_FILE every endpoint but the probes wants
 * the bearer token, fortress stats sends it, and the token appears in no output; an open listener on an
 * address that is not loopback is refused before it listens.
 */
class ServeAuthIT {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final String TOKEN = "s3cr3t-t0ken-" + Long.toHexString(System.nanoTime()) + "-abcdef";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path work;

    private static int get(int port, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void everyEndpointButTheProbesWantsTheToken() throws Exception {
        Path tokenFile = work.resolve("http.token");
        Files.writeString(tokenFile, TOKEN + "\n");
        Files.setPosixFilePermissions(tokenFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        int port = FortressProcess.freePort();
        Map<String, String> env = new HashMap<>(CliEnvironment.of(CLUSTER.cluster(), CLUSTER.cluster().database(),
                work.resolve("backups").toString()));
        env.put("FORTRESS_HTTP_ADDR", "127.0.0.1:" + port);
        env.put("FORTRESS_HTTP_TOKEN_FILE", tokenFile.toString());
        Path log = work.resolve("serve.log");
        Process serve = FortressProcess.serve(env, log);
        try {
            assertThat(Files.readString(log)).contains("a bearer token (FORTRESS_HTTP_TOKEN_FILE) is required");
            assertThat(get(port, "/health/live", null)).isEqualTo(200);
            assertThat(get(port, "/health/ready", null)).isEqualTo(200);
            for (String path : new String[] {"/health/database", "/metrics", "/metrics/database", "/", "/nope"}) {
                assertThat(get(port, path, null)).as(path + " without a token").isEqualTo(401);
                assertThat(get(port, path, "Bearer wrong-token-of-some-length")).as(path + " with a wrong token").isEqualTo(401);
                assertThat(get(port, path, "Basic " + TOKEN)).as(path + " with another scheme").isEqualTo(401);
            }
            assertThat(get(port, "/health/database", "Bearer " + TOKEN)).isEqualTo(200);
            assertThat(get(port, "/metrics", "Bearer " + TOKEN)).isEqualTo(200);
            assertThat(get(port, "/nope", "Bearer " + TOKEN)).isEqualTo(404);
            // a browser on the status page: asked for Basic, it sends the token as the password
            String basic = "Basic " + java.util.Base64.getEncoder().encodeToString(("operator:" + TOKEN).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(get(port, "/", basic)).isEqualTo(200);
            assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Basic");

            FortressProcess.Result stats = FortressProcess.run(env, work, "stats");
            assertThat(stats.exitCode()).as(stats.err()).isZero();
            assertThat(stats.out()).contains("primary");
            Map<String, String> noToken = new HashMap<>(env);
            noToken.remove("FORTRESS_HTTP_TOKEN_FILE");
            FortressProcess.Result refused = FortressProcess.run(noToken, work, "stats");
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.err()).contains("FORTRESS_HTTP_TOKEN_FILE");
        } finally {
            FortressProcess.stop(serve);
        }
        assertThat(Files.readString(log)).doesNotContain(TOKEN);
    }

    @Test
    void withACertificateServeAnswersHttpsOnlyAndStatsTrustsIt() throws Exception {
        Path cert = work.resolve("cert.pem");
        Path key = work.resolve("key.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
        String opensslOut = new String(openssl.getInputStream().readAllBytes());
        assertThat(openssl.waitFor()).as(opensslOut).isZero();

        int port = FortressProcess.freePort();
        Map<String, String> env = new HashMap<>(CliEnvironment.of(CLUSTER.cluster(), CLUSTER.cluster().database(),
                work.resolve("backups").toString()));
        env.put("FORTRESS_HTTP_ADDR", "127.0.0.1:" + port);
        env.put("FORTRESS_HTTP_TLS_CERT_FILE", cert.toString());
        env.put("FORTRESS_HTTP_TLS_KEY_FILE", key.toString());
        Path log = work.resolve("serve-tls.log");
        Process serve = FortressProcess.serve(env, log);
        try {
            assertThat(Files.readString(log)).contains("https://127.0.0.1:" + port);
            javax.net.ssl.SSLContext trusting = HttpTls.clientContext(env);
            HttpClient https = HttpClient.newBuilder().sslContext(trusting).connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/health/database"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("primary_healthy");
            // plain http reaches the listener (a connection, not a refusal) and gets no HTTP answer from it
            Throwable plain = org.assertj.core.api.Assertions.catchThrowable(() -> get(port, "/health/live", null));
            assertThat(plain).as("plain http to the TLS listener").isInstanceOf(java.io.IOException.class)
                    .isNotInstanceOf(java.net.ConnectException.class).isNotInstanceOf(java.net.http.HttpTimeoutException.class)
                    .hasMessageContaining("header parser received no bytes");
            FortressProcess.Result stats = FortressProcess.run(env, work, "stats");
            assertThat(stats.exitCode()).as(stats.err()).isZero();
        } finally {
            FortressProcess.stop(serve);
        }

        Map<String, String> half = new HashMap<>(env);
        half.remove("FORTRESS_HTTP_TLS_KEY_FILE");
        CliRun refused = CliRun.of(half, "serve");
        assertThat(refused.status()).isNotZero();
        assertThat(refused.err()).contains("FORTRESS_HTTP_TLS_CERT_FILE and FORTRESS_HTTP_TLS_KEY_FILE go together");
    }

    @Test
    void anOpenListenerOnANonLoopbackAddressIsRefusedBeforeItListens() throws Exception {
        Map<String, String> env = new HashMap<>(CliEnvironment.of(CLUSTER.cluster(), CLUSTER.cluster().database(),
                work.resolve("backups").toString()));
        env.put("FORTRESS_HTTP_ADDR", "0.0.0.0:" + FortressProcess.freePort());
        CliRun open = CliRun.of(env, "serve");
        assertThat(open.status()).isNotZero();
        assertThat(open.err()).contains("is not a loopback address").contains("FORTRESS_HTTP_TOKEN_FILE")
                .contains("FORTRESS_HTTP_ALLOW_OPEN=true");

        Path shortToken = work.resolve("short");
        Files.writeString(shortToken, "tiny-token");
        Files.setPosixFilePermissions(shortToken, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        env.put("FORTRESS_HTTP_ADDR", "127.0.0.1:" + FortressProcess.freePort());
        env.put("FORTRESS_HTTP_TOKEN_FILE", shortToken.toString());
        CliRun tooShort = CliRun.of(env, "serve");
        assertThat(tooShort.status()).isNotZero();
        assertThat(tooShort.err()).contains("at least 16").doesNotContain("tiny-token");
    }
}
