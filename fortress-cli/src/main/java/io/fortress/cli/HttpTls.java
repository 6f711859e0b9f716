package io.fortress.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for serve's HTTP listener from PEM files (FORTRESS_HTTP_TLS_CERT_FILE and FORTRESS_HTTP_TLS_KEY_FILE),
 * with the JDK alone: the certificate chain as X.509 PEM, the key as unencrypted PKCS#8 PEM
 * ({@code BEGIN PRIVATE KEY}, what openssl 3 writes); other key formats are refused with the command
 * that converts them.
 */
final class HttpTls {
    private static final Pattern KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private HttpTls() {
    }

    /** The listener's TLS, or null when neither file is set. */
    static SSLContext serverContext(Map<String, String> environment) {
        Path cert = CliSettings.get(CliSettings.HTTP_TLS_CERT_FILE, environment);
        Path key = CliSettings.get(CliSettings.HTTP_TLS_KEY_FILE, environment);
        if (cert == null && key == null) {
            return null;
        }
        if (cert == null || key == null) {
            throw new IllegalArgumentException("FORTRESS_HTTP_TLS_CERT_FILE and FORTRESS_HTTP_TLS_KEY_FILE go together: set both "
                    + "(a PEM certificate and its PKCS#8 PEM key) or neither");
        }
        try {
            List<? extends Certificate> chain = certificates(cert);
            PrivateKey privateKey = privateKey(key);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] none = new char[0];
            store.setKeyEntry("fortress", privateKey, none, chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, none);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS from FORTRESS_HTTP_TLS_CERT_FILE=" + cert
                    + " and FORTRESS_HTTP_TLS_KEY_FILE=" + key + ": " + e.getMessage(), e);
        }
    }

    /** A client context that trusts the certificate in FORTRESS_HTTP_TLS_CERT_FILE (fortress stats talking to its serve); null without one. */
    static SSLContext clientContext(Map<String, String> environment) {
        Path cert = CliSettings.get(CliSettings.HTTP_TLS_CERT_FILE, environment);
        if (cert == null) {
            return null;
        }
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates(cert)) {
                trust.setCertificateEntry("serve-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot read FORTRESS_HTTP_TLS_CERT_FILE=" + cert + ": " + e.getMessage(), e);
        }
    }

    private static List<? extends Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        List<? extends Certificate> chain = List.copyOf(CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file))));
        if (chain.isEmpty()) {
            throw new GeneralSecurityException(file + " holds no PEM certificate");
        }
        return chain;
    }

    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = KEY.matcher(pem);
        if (!m.find()) {
            throw new GeneralSecurityException(file + " holds no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----); convert one "
                    + "with: openssl pkcs8 -topk8 -nocrypt -in OLD.key -out " + file.getFileName());
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisAlgorithm) {
                // try the next
            }
        }
        throw new GeneralSecurityException(file + " holds a key that is neither EC, RSA nor Ed25519");
    }
}
