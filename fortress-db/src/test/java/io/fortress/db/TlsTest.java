package io.fortress.db;

import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;
import io.fortress.db.api.SslMode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.ClientCertificate;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** TLS against servers with a real certificate for 127.0.0.1, signed by the cluster's private authority. */
class TlsTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.of(b -> b.replicas(1).tls(true));

    private static final String ENCRYPTED = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    @Test
    void verifyFullEncryptsAndAuthenticatesEveryNode() {
        LocalCluster cluster = CLUSTER.cluster();
        DbConfig config = TestDatabases.config(cluster).sslMode(SslMode.VERIFY_FULL)
                .sslRootCert(cluster.tlsRootCertificate().orElseThrow()).build();
        try (Database db = Database.open(config)) {
            assertThat(db.queryOne(ENCRYPTED, RowMapper.column(1, Boolean.class))).contains(true); // the replica
            Boolean primary = db.inTransaction(tx -> tx.queryOne(ENCRYPTED, RowMapper.column(1, Boolean.class)).orElseThrow());
            assertThat(primary).isTrue();
        }
    }

    @Test
    void requireEncryptsWithoutVerifyingAndDisableDoesNot() {
        try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster()).sslMode(SslMode.REQUIRE).build())) {
            assertThat(db.queryOne(ENCRYPTED, RowMapper.column(1, Boolean.class))).contains(true);
        }
        try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster()).sslMode(SslMode.DISABLE).build())) {
            assertThat(db.queryOne(ENCRYPTED, RowMapper.column(1, Boolean.class))).contains(false);
        }
    }

    @Test
    void aServerSignedByAnotherAuthorityIsRefused(@TempDir Path tmp) throws Exception {
        Path otherCa = tmp.resolve("other-ca.crt");
        new ProcessBuilder("openssl", "req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-days", "1",
                "-keyout", tmp.resolve("other-ca.key").toString(), "-out", otherCa.toString(), "-subj", "/CN=someone else")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("openssl.log").toFile()).start().waitFor();
        assertThat(otherCa).exists();
        DbConfig config = TestDatabases.config(CLUSTER.cluster()).sslMode(SslMode.VERIFY_CA).sslRootCert(otherCa)
                .connectTimeout(Duration.ofSeconds(3)).build();
        assertThatThrownBy(() -> Database.open(config))
                .isInstanceOf(DatabaseUnavailableException.class)
                .hasMessageContaining("cannot reach the primary")
                .hasMessageContaining("SSL");
    }

    @Test
    void aClientCertificateLogsInWithoutAPassword(@TempDir Path tmp) throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE ROLE cert_reader LOGIN IN ROLE fortress_cert_users");
        cluster.awaitReplication(Duration.ofSeconds(30));
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        ClientCertificate cert = cluster.issueClientCertificate("cert_reader", tmp.resolve("certs"));
        DbConfig config = TestDatabases.config(cluster).user("cert_reader").password(null)
                .sslMode(SslMode.VERIFY_FULL).sslRootCert(cluster.tlsRootCertificate().orElseThrow())
                .sslCert(cert.certificate()).sslKey(cert.key()).build();
        try (Database db = Database.open(config)) {
            List<String> users = db.query("SELECT current_user", RowMapper.firstString());
            assertThat(users).containsExactly("cert_reader");
        }
    }
}
