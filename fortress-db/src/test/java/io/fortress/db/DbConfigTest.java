package io.fortress.db;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.internal.pool.PasswordSource;
import io.fortress.db.api.Secret;
import io.fortress.db.api.Setting;
import io.fortress.db.api.SslMode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DbConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        DbConfig c = DbConfig.builder().build();
        assertThat(c.host()).isEqualTo("localhost");
        assertThat(c.port()).isEqualTo(5432);
        assertThat(c.user()).isEqualTo("postgres");
        assertThat(c.database()).isEqualTo("fortress");
        assertThat(c.maxOpenConns()).isEqualTo(25);
        assertThat(c.maxIdleConns()).isEqualTo(5);
        assertThat(c.connMaxLifetime()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.connMaxIdleTime()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.replicaHosts()).isEmpty();
        assertThat(c.slowQueryThreshold()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.sslMode()).isEqualTo(SslMode.PREFER);
        assertThat(PasswordSource.primary(c).current()).isEmpty();
    }

    @Test
    void readsEveryVariable() {
        Map<String, String> env = Map.ofEntries(
                Map.entry("DB_HOST", "db.internal"), Map.entry("DB_PORT", "6432"), Map.entry("DB_USER", "credits"),
                Map.entry("DB_NAME", "ledger"), Map.entry("PGPASSWORD", "s3cret!"),
                Map.entry("DB_MAX_OPEN_CONNS", "100"), Map.entry("DB_MAX_IDLE_CONNS", "10"),
                Map.entry("DB_CONN_MAX_LIFETIME", "1h"), Map.entry("DB_CONN_MAX_IDLE_TIME", "5m"),
                Map.entry("DB_REPLICA_HOSTS", "replica1.example.com, replica2.example.com:6433,[::1]:6434"),
                Map.entry("DB_SSLMODE", "verify-full"), Map.entry("DB_CONNECT_TIMEOUT", "10s"),
                Map.entry("DB_STATEMENT_TIMEOUT", "30s"), Map.entry("DB_SLOW_QUERY_THRESHOLD", "1500ms"),
                Map.entry("DB_REPLICA_USER", "reader"), Map.entry("DB_REPLICA_PASSWORD", "r3ad"));
        DbConfig c = DbConfig.fromEnv(env);
        assertThat(c.primaryAddress()).isEqualTo(new HostAndPort("db.internal", 6432));
        assertThat(c.user()).isEqualTo("credits");
        assertThat(c.database()).isEqualTo("ledger");
        assertThat(PasswordSource.primary(c).current().orElseThrow().reveal()).isEqualTo("s3cret!");
        assertThat(c.maxOpenConns()).isEqualTo(100);
        assertThat(c.maxIdleConns()).isEqualTo(10);
        assertThat(c.connMaxLifetime()).isEqualTo(Duration.ofHours(1));
        assertThat(c.connMaxIdleTime()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.replicaHosts()).containsExactly(new HostAndPort("replica1.example.com", 6432),
                new HostAndPort("replica2.example.com", 6433), new HostAndPort("::1", 6434));
        assertThat(c.sslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.statementTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.slowQueryThreshold()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.replicaUser()).isEqualTo("reader");
        assertThat(PasswordSource.replica(c).current().orElseThrow().reveal()).isEqualTo("r3ad");
    }

    @Test
    void emptyVariablesKeepDefaults() {
        DbConfig c = DbConfig.fromEnv(Map.of("DB_PORT", "", "DB_REPLICA_HOSTS", " "));
        assertThat(c.port()).isEqualTo(5432);
        assertThat(c.replicaHosts()).isEmpty();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "DB_MAX_OPEN_CONNS|abc|DB_MAX_OPEN_CONNS=abc is invalid: 'abc' is not an integer; expected an integer from 1 to 10000",
            "DB_MAX_OPEN_CONNS|0|DB_MAX_OPEN_CONNS=0 is invalid: expected an integer from 1 to 10000",
            "DB_PORT|70000|DB_PORT=70000 is invalid: expected an integer from 1 to 65535",
            "DB_CONN_MAX_LIFETIME|5|DB_CONN_MAX_LIFETIME=5 is invalid: '5' has a number without a unit",
            "DB_CONN_MAX_LIFETIME|10s|DB_CONN_MAX_LIFETIME=10s is invalid: expected 0 (no limit) or a duration of at least 30s",
            "DB_CONN_MAX_IDLE_TIME|5 minutes|DB_CONN_MAX_IDLE_TIME=5 minutes is invalid: '5 minutes' has an unknown unit",
            "DB_CONNECT_TIMEOUT|500ms|DB_CONNECT_TIMEOUT=500ms is invalid: expected a duration from 1s to 1h",
            "DB_STATEMENT_TIMEOUT|500us|DB_STATEMENT_TIMEOUT=500us is invalid: expected 0 (no limit) or from 1ms to 596h in whole milliseconds",
            "DB_SSLMODE|strict|DB_SSLMODE=strict is invalid: 'strict' is not an sslmode; expected one of disable, allow, prefer, require, verify-ca, verify-full",
            "DB_REPLICA_HOSTS|a,,b|DB_REPLICA_HOSTS=a,,b is invalid: 'a,,b' has an empty entry",
            "DB_REPLICA_HOSTS|r1:port|DB_REPLICA_HOSTS=r1:port is invalid: 'r1:port' has a port that is not a number",
            "DB_LOG_QUERY_PARAMETERS|maybe|DB_LOG_QUERY_PARAMETERS=maybe is invalid: 'maybe' is not a boolean; expected true or false",
    })
    void invalidVariablesAreNamedWithWhatIsAccepted(String variable, String value, String message) {
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of(variable, value)))
                .isInstanceOf(DbConfigException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void combinationsAreChecked(@TempDir Path tmp) throws Exception {
        // defaults that depend on another setting follow it; an explicit value that conflicts is still refused
        assertThat(DbConfig.fromEnv(Map.of("DB_MAX_OPEN_CONNS", "2")).maxIdleConns()).isEqualTo(2);
        assertThat(DbConfig.fromEnv(Map.of("DB_MAX_OPEN_CONNS", "20")).maxIdleConns()).isEqualTo(5);
        assertThat(DbConfig.fromEnv(Map.of("DB_CONN_MAX_LIFETIME", "30s")).connMaxIdleTime()).isEqualTo(java.time.Duration.ofSeconds(15));
        assertThat(DbConfig.fromEnv(Map.of("DB_CONN_MAX_LIFETIME", "0")).connMaxIdleTime()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(DbConfig.fromEnv(Map.of()).connMaxIdleTime()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(DbConfig.fromEnv(Map.of("DB_USER", "app")).replicaUser()).isEqualTo("app");
        assertThat(DbConfig.fromEnv(Map.of("DB_HEALTH_INTERVAL", "2s")).healthTimeout()).isEqualTo(java.time.Duration.ofSeconds(2));
        // the raw value stays unset (toString, the checks across settings); only the getters derive it
        assertThat(DbConfig.fromEnv(Map.of()).get(io.fortress.db.api.DbSettings.HEALTH_TIMEOUT)).isNull();
        assertThatThrownBy(() -> io.fortress.db.api.DbSettings.PORT.whenUnset("never", c -> 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("port has a fixed default");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_MAX_OPEN_CONNS", "4", "DB_MAX_IDLE_CONNS", "5")))
                .hasMessage("maxIdleConns (DB_MAX_IDLE_CONNS) = 5 exceeds maxOpenConns (DB_MAX_OPEN_CONNS) = 4; keep it at most maxOpenConns");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_CONN_MAX_LIFETIME", "1m", "DB_CONN_MAX_IDLE_TIME", "1m")))
                .hasMessageContaining("connMaxIdleTime (DB_CONN_MAX_IDLE_TIME) = 1m must be shorter than connMaxLifetime (DB_CONN_MAX_LIFETIME) = 1m");
        Path secret = Files.writeString(tmp.resolve("pw"), "x\n");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("PGPASSWORD", "hunter2", "DB_PASSWORD_FILE", secret.toString())))
                .hasMessage("password (PGPASSWORD) and passwordFile (DB_PASSWORD_FILE) are both set; set only one of them");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_PASSWORD_FILE", tmp.resolve("missing").toString())))
                .hasMessageContaining("passwordFile (DB_PASSWORD_FILE) = " + tmp.resolve("missing"))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_SSLCERT", secret.toString())))
                .hasMessageContaining("sslCert (DB_SSLCERT) and sslKey (DB_SSLKEY) go together");
        assertThatThrownBy(() -> DbConfig.builder().maxOpenConns(-3).build())
                .hasMessage("maxOpenConns = -3 is invalid: expected an integer from 1 to 10000 (environment variable DB_MAX_OPEN_CONNS)");
        assertThatThrownBy(() -> DbConfig.builder().connMaxLifetime(Duration.ofSeconds(5)).build())
                .hasMessageContaining("connMaxLifetime = 5s is invalid");
    }

    @Test
    void anUnsetHealthTimeoutIsTheSmallerOfFiveSecondsAndTheInterval() {
        assertThat(DbConfig.builder().build().healthTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(DbConfig.fromEnv(Map.of("DB_HEALTH_INTERVAL", "2s")).healthTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(DbConfig.fromEnv(Map.of("DB_HEALTH_INTERVAL", "1m")).healthTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_HEALTH_INTERVAL", "2s", "DB_HEALTH_TIMEOUT", "3s")))
                .hasMessage("healthTimeout (DB_HEALTH_TIMEOUT) = 3s exceeds healthInterval (DB_HEALTH_INTERVAL) = 2s; a check must end "
                        + "before the next one is due");
    }

    @Test
    void theSocketTimeoutIsDerivedFromTheStatementTimeoutAndMustExceedIt() {
        assertThat(DbConfig.builder().build().socketTimeout()).as("no statement timeout: none").isZero();
        assertThat(DbConfig.fromEnv(Map.of("DB_STATEMENT_TIMEOUT", "30s")).socketTimeout()).isEqualTo(Duration.ofSeconds(35));
        assertThat(DbConfig.fromEnv(Map.of("DB_STATEMENT_TIMEOUT", "30s", "DB_SOCKET_TIMEOUT", "1m")).socketTimeout())
                .isEqualTo(Duration.ofMinutes(1));
        assertThat(DbConfig.fromEnv(Map.of("DB_SOCKET_TIMEOUT", "10s")).socketTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(DbConfig.fromEnv(Map.of("DB_STATEMENT_TIMEOUT", "30s", "DB_SOCKET_TIMEOUT", "0")).socketTimeout()).isZero();
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_STATEMENT_TIMEOUT", "30s", "DB_SOCKET_TIMEOUT", "30s")))
                .isInstanceOf(DbConfigException.class)
                .hasMessage("socketTimeout (DB_SOCKET_TIMEOUT) = 30s must be longer than statementTimeout (DB_STATEMENT_TIMEOUT) = 30s:"
                        + " the server ends a statement at statementTimeout with a clear error (SQLSTATE 57014), and a socket timeout"
                        + " at or below it would drop the connection first; leave DB_SOCKET_TIMEOUT unset to get 35s, or set 0 for none");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_SOCKET_TIMEOUT", "500ms")))
                .isInstanceOf(DbConfigException.class)
                .hasMessageStartingWith("DB_SOCKET_TIMEOUT=500ms is invalid: expected 0 (none) or a duration from 1s to 24h");
        assertThatThrownBy(() -> DbConfig.builder().socketTimeout(Duration.ofDays(2)).build())
                .hasMessageStartingWith("socketTimeout = 48h is invalid: expected 0 (none) or a duration from 1s to 24h");
    }

    @Test
    void passwordsNeverShow() {
        DbConfig c = DbConfig.fromEnv(Map.of("PGPASSWORD", "hunter2-secret", "DB_REPLICA_PASSWORD", "r3plica-secret",
                "DB_REPLICA_USER", "reader"));
        assertThat(c.toString()).doesNotContain("hunter2-secret").doesNotContain("r3plica-secret")
                .contains("password=<redacted>").contains("replicaPassword=<redacted>").contains("maxOpenConns=25");
        assertThat(PasswordSource.primary(c).toString()).doesNotContain("hunter2");
        assertThat(Secret.of("hunter2").toString()).isEqualTo("<redacted>");
    }

    @Test
    void replicasUseThePrimaryLoginUnlessTheirOwnIsGiven() {
        DbConfig same = DbConfig.fromEnv(Map.of("DB_USER", "app", "PGPASSWORD", "pw"));
        assertThat(same.replicaUser()).isEqualTo("app");
        assertThat(PasswordSource.replica(same).current().orElseThrow().reveal()).isEqualTo("pw");
        DbConfig separate = DbConfig.fromEnv(Map.of("DB_USER", "app", "PGPASSWORD", "pw", "DB_REPLICA_USER", "reader"));
        assertThat(separate.replicaUser()).isEqualTo("reader");
        assertThat(PasswordSource.replica(separate).current()).as("never send the primary's password to another user").isEmpty();
    }

    @Test
    void passwordFileIsReadAgainWhenItChanges(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("db-password"), "first\n");
        DbConfig c = DbConfig.fromEnv(Map.of("DB_PASSWORD_FILE", file.toString()));
        PasswordSource source = PasswordSource.primary(c);
        assertThat(source.current().orElseThrow().reveal()).isEqualTo("first");
        Files.writeString(file, "second-and-longer\n");
        assertThat(source.current().orElseThrow().reveal()).isEqualTo("second-and-longer");
        assertThat(source.toString()).isEqualTo("password file " + file);
    }

    @Test
    void everySettingIsDefinedOnceWithVariableAndDescription() {
        List<String> variables = DbSettings.ALL.stream().map(Setting::variable).toList();
        assertThat(variables).doesNotHaveDuplicates().doesNotContainNull();
        assertThat(DbSettings.ALL).extracting(Setting::name).doesNotHaveDuplicates();
        assertThat(DbSettings.ALL).allSatisfy(s -> assertThat(s.description()).isNotBlank());
        Map<String, String> all = new HashMap<>();
        variables.forEach(v -> all.put(v, ""));
        assertThat(DbConfig.fromEnv(all).toString()).isEqualTo(DbConfig.builder().build().toString());
    }

    @Test
    void derivedConfigurationsKeepTheirOriginAndRefuseOtherGroupsSettings() {
        DbConfig base = DbConfig.builder().port(6432).maxOpenConns(40).build();
        DbConfig derived = base.toBuilder().maxOpenConns(10).build();
        assertThat(derived.port()).isEqualTo(6432);
        assertThat(derived.maxOpenConns()).isEqualTo(10);
        assertThat(base.maxOpenConns()).isEqualTo(40);

        assertThatThrownBy(() -> DbConfig.builder().set(io.fortress.db.migrate.MigrationSettings.TABLE, "versions"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table is not one of the settings configured here");
    }
}
