package io.fortress.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * A private certificate authority and the server certificate of a local cluster, made with the
 * openssl command. The server certificate names 127.0.0.1 and localhost, so clients can use
 * {@code sslmode=verify-full}.
 */
final class Tls {
    static final String CLIENT_CERT_GROUP = "fortress_cert_users";
    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    private final Path dir;

    Tls(Path dir) {
        this.dir = dir;
    }

    Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    Path serverCertificate() {
        return dir.resolve("server.crt");
    }

    Path serverKey() {
        return dir.resolve("server.key");
    }

    /** Creates the authority and the server's key and certificate; the key is handed to the server user. */
    void create(ServerUser serverUser) {
        try {
            Files.createDirectories(dir);
            openssl("req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-sha256", "-days", "3650",
                    "-keyout", dir.resolve("ca.key").toString(), "-out", caCertificate().toString(),
                    "-subj", "/CN=fortress LocalCluster CA");
            Path extensions = Files.writeString(dir.resolve("server.ext"),
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n", StandardCharsets.UTF_8);
            sign("/CN=localhost", serverKey(), serverCertificate(), extensions);
            Files.setPosixFilePermissions(serverKey(), PosixFilePermissions.fromString("rw-------"));
            serverUser.own(dir);
            serverUser.own(serverKey());
            serverUser.own(serverCertificate());
            serverUser.own(caCertificate());
        } catch (IOException e) {
            throw new ClusterException("cannot create TLS certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Issues a client certificate for {@code user}: a PEM certificate and its key as unencrypted PKCS#8
     * DER, the format the PostgreSQL JDBC driver reads.
     */
    ClientCertificate issueClient(String user, Path target) {
        try {
            Files.createDirectories(target);
            Path extensions = Files.writeString(target.resolve(user + ".ext"), "extendedKeyUsage=clientAuth\n", StandardCharsets.UTF_8);
            Path pemKey = target.resolve(user + ".key");
            Path cert = target.resolve(user + ".crt");
            sign("/CN=" + user, pemKey, cert, extensions);
            Path derKey = target.resolve(user + ".pk8");
            openssl("pkcs8", "-topk8", "-inform", "PEM", "-outform", "DER", "-nocrypt", "-in", pemKey.toString(), "-out", derKey.toString());
            Files.setPosixFilePermissions(pemKey, PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(derKey, PosixFilePermissions.fromString("rw-------"));
            return new ClientCertificate(cert, derKey, pemKey);
        } catch (IOException e) {
            throw new ClusterException("cannot issue a client certificate for " + user + ": " + e.getMessage(), e);
        }
    }

    private void sign(String subject, Path key, Path cert, Path extensions) {
        Path request = Path.of(cert + ".csr");
        openssl("req", "-new", "-nodes", "-newkey", "rsa:2048", "-sha256", "-keyout", key.toString(), "-out", request.toString(),
                "-subj", subject);
        openssl("x509", "-req", "-in", request.toString(), "-CA", caCertificate().toString(), "-CAkey", dir.resolve("ca.key").toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "3650", "-sha256", "-extfile", extensions.toString());
    }

    private static void openssl(String... args) {
        List<String> command = new java.util.ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Processes.runChecked(command, TIMEOUT);
    }
}
