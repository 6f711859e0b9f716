package io.fortress.db.internal.backup.pitr;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * s3proxy on its HTTPS endpoint only, as pgBackRest needs it: a certificate for {@code DNS:localhost}
 * made with openssl (pgBackRest matches the endpoint's name against it and takes no IP address), the
 * filesystem backend, and buckets made directly in the backend.
 */
public final class TlsS3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "pitr-access";
    public static final String SECRET_KEY = "pitr-secret-key-" + java.util.UUID.randomUUID();
    private static final String KEYSTORE_PASSWORD = "s3proxy-test";

    private final Path dir;
    private final int port;
    private final S3Proxy proxy;

    public TlsS3Server(Path dir) throws Exception {
        this.dir = dir;
        Files.createDirectories(dir.resolve("objects"));
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            this.port = s.getLocalPort();
        }
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost", "-keyout", dir.resolve("key.pem").toString(), "-out", certificate().toString());
        openssl("pkcs12", "-export", "-in", certificate().toString(), "-inkey", dir.resolve("key.pem").toString(), "-name", "s3proxy",
                "-out", dir.resolve("keystore.p12").toString(), "-passout", "pass:" + KEYSTORE_PASSWORD);
        proxy = S3Proxy.builder().blobStore(new FilesystemNio2BlobStore(dir.resolve("objects").toString())).secureEndpoint(URI.create("https://127.0.0.1:" + port))
                .keyStore(dir.resolve("keystore.p12").toString(), KEYSTORE_PASSWORD)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IOException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(20);
        }
    }

    public int port() {
        return port;
    }

    /** The server's self-signed certificate, which is also the authority to trust. */
    public Path certificate() {
        return dir.resolve("cert.pem");
    }

    /** The folder of the filesystem backend: a bucket is a folder, an object a file. */
    public Path objects() {
        return dir.resolve("objects");
    }

    /** A bucket of the filesystem backend is a folder of its base folder. */
    public void createBucket(String name) throws IOException {
        Files.createDirectories(objects().resolve(name));
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl " + args[0] + " failed: " + output);
        }
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
