package io.fortress.db;

import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Passwords and statement parameters stay out of messages, logs, URLs and metrics; password files rotate. */
class SecretsTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(1);

    @Test
    void aWrongPasswordIsReportedWithoutThePassword() {
        String wrong = "Wr0ng-Passw0rd-Value";
        DbConfig config = TestDatabases.config(CLUSTER.cluster()).password(wrong).build();
        String logs = captureLogs(() -> assertThatThrownBy(() -> Database.open(config))
                .isInstanceOf(DatabaseUnavailableException.class)
                .hasMessageContaining("password authentication failed")
                .satisfies(e -> assertThat(stackText(e)).doesNotContain(wrong)));
        assertThat(logs).doesNotContain(wrong);
    }

    @Test
    void noPasswordInUrlsStatsMetricsOrLogs() {
        LocalCluster cluster = CLUSTER.cluster();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        String logs = captureLogs(() -> {
            try (Database db = Database.open(TestDatabases.config(cluster).slowQueryThreshold(Duration.ofMillis(1)).build(), registry)) {
                db.query("SELECT pg_sleep(0.01), ?::text", RowMapper.columnMap(), "parameter-secret-value");
                assertThat(db.toString()).doesNotContain(cluster.password());
                assertThat(db.config().toString()).doesNotContain(cluster.password());
                assertThat(db.stats().toJson()).doesNotContain(cluster.password());
                assertThat(registry.scrape()).doesNotContain(cluster.password()).doesNotContain("parameter-secret-value");
                assertThat(db.nodes()).allSatisfy(n -> assertThat(n.toString()).doesNotContain(cluster.password()));
            }
        });
        assertThat(logs).contains("slow statement on replica-1").contains("1 parameter of type String, values redacted");
        assertThat(logs).doesNotContain("parameter-secret-value").doesNotContain(cluster.password());
    }

    @Test
    void parameterValuesAreLoggedOnlyWhenAskedFor() {
        String logs = captureLogs(() -> {
            try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster())
                    .slowQueryThreshold(Duration.ofMillis(1)).logQueryParameters(true).build())) {
                db.query("SELECT pg_sleep(0.01), ?::text", RowMapper.columnMap(), "visible-on-purpose");
            }
        });
        assertThat(logs).contains("parameters [visible-on-purpose]");
    }

    @Test
    void aRotatedPasswordFileAppliesToNewConnectionsWithoutRestart(@TempDir Path tmp) throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("DROP ROLE IF EXISTS rotating; CREATE ROLE rotating LOGIN PASSWORD 'first-password'");
        cluster.awaitReplication(Duration.ofSeconds(30));
        Path file = Files.writeString(tmp.resolve("db-password"), "first-password\n");
        DbConfig config = TestDatabases.config(cluster).password(null).user("rotating").passwordFile(file)
                .maxOpenConns(3).maxIdleConns(1).build();
        try (Database db = Database.open(config)) {
            assertThat(db.exec("SELECT 1")).isZero();

            cluster.primary().execute("ALTER ROLE rotating PASSWORD 'second-password'");
            Files.writeString(file, "second-password\n");

            // hold the pooled connection so the pool must log in anew for a second one
            DataSource primary = db.primaryDataSource();
            try (Connection pooled = primary.getConnection(); Connection fresh = primary.getConnection();
                 Statement s = fresh.createStatement(); ResultSet rs = s.executeQuery("SELECT current_user")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("rotating");
                assertThat(pooled.isValid(5)).isTrue();
            }
        }
    }

    private static String captureLogs(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }

    private static String stackText(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }
}
