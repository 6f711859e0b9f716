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
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
        String user = CLUSTER.cluster().superuser();
        DbConfig config = TestDatabases.config(CLUSTER.cluster()).password(wrong).build();
        String logs = captureLogs(() -> assertThatThrownBy(() -> Database.open(config))
                .isInstanceOf(DatabaseUnavailableException.class)
                .hasMessageContaining("password authentication failed")
                // positive control: the text carries the server's whole answer, the user's name in it, only not the password
                .satisfies(e -> assertThat(stackText(e)).contains("password authentication failed for user \"" + user + "\"")
                        .doesNotContain(wrong)));
        // positive control: the capture holds what was logged while the pools tried to log in
        assertThat(logs).contains("primary - Start").doesNotContain(wrong);
    }

    @Test
    void noPasswordInUrlsStatsMetricsOrLogs() {
        LocalCluster cluster = CLUSTER.cluster();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        String logs = captureLogs(() -> {
            try (Database db = Database.open(TestDatabases.config(cluster).slowQueryThreshold(Duration.ofMillis(1)).build(), registry)) {
                db.query("SELECT pg_sleep(0.01), ?::text", RowMapper.columnMap(), "parameter-secret-value");
                // positive controls: each text carries what it is about (user, pools, nodes), so a password beside it would be seen
                assertThat(db.toString()).doesNotContain(cluster.password());
                assertThat(db.config().toString()).contains(cluster.superuser()).doesNotContain(cluster.password());
                assertThat(db.stats().toJson()).contains("\"replicas\"").contains("\"open_connections\"").doesNotContain(cluster.password());
                assertThat(registry.scrape()).contains("fortress_db_").contains("replica-1")
                        .doesNotContain(cluster.password()).doesNotContain("parameter-secret-value");
                assertThat(db.nodes()).allSatisfy(n -> assertThat(n.toString()).contains(n.name()).doesNotContain(cluster.password()));
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
            // the sessions of rotating before the rotation, each logged in with the first password
            Set<String> before = sessionsOf(cluster, "rotating");

            cluster.primary().execute("ALTER ROLE rotating PASSWORD 'second-password'");
            Files.writeString(file, "second-password\n");
            // positive control: the first password no longer logs in, so any new session used the file's new content
            assertThatThrownBy(() -> DriverManager.getConnection(cluster.primary().jdbcUrl(), "rotating", "first-password").close())
                    .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed for user \"rotating\"");

            // hold the pool's connections, one more each time, until one is a session opened after the rotation
            DataSource primary = db.primaryDataSource();
            List<Connection> held = new ArrayList<>();
            try {
                String newSession = null;
                for (int i = 0; i < 3 && newSession == null; i++) {
                    Connection c = primary.getConnection();
                    held.add(c);
                    try (Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT pg_backend_pid()::text || ' ' || current_user")) {
                        rs.next();
                        String[] pidAndUser = rs.getString(1).split(" ");
                        assertThat(pidAndUser[1]).isEqualTo("rotating");
                        if (!before.contains(pidAndUser[0])) {
                            newSession = pidAndUser[0];
                        }
                    }
                }
                assertThat(newSession).as("a pooled session logged in after the rotation (sessions before: %s)", before).isNotNull();
                assertThat(sessionsOf(cluster, "rotating")).contains(newSession);
                for (Connection c : held) {
                    assertThat(c.isValid(5)).isTrue();
                }
            } finally {
                for (Connection c : held) {
                    c.close();
                }
            }
        }
    }

    /** The backend pids of the user's client sessions on the primary. */
    private static Set<String> sessionsOf(LocalCluster cluster, String user) {
        String pids = cluster.primary().queryValue("SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity WHERE usename = '"
                + user + "' AND backend_type = 'client backend'");
        return pids.isEmpty() ? Set.of() : Set.of(pids.split(","));
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
