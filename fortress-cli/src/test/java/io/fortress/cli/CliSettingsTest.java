package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbConfigException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fortress serve's health settings and the library's DB_HEALTH_* for the same thing. */
class CliSettingsTest {

    private static DbConfig config(Map<String, String> env) {
        return DbConfig.fromEnv(CliSettings.resolveAliases(env));
    }

    @Test
    void serveAndTheLibraryShareOneHealthIntervalWithOneDefault() {
        assertThat(config(Map.of()).healthInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config(Map.of("DB_HEALTH_INTERVAL", "7s")).healthInterval()).isEqualTo(Duration.ofSeconds(7));
        assertThat(config(Map.of("FORTRESS_HEALTH_INTERVAL", "9s")).healthInterval()).isEqualTo(Duration.ofSeconds(9));
        assertThat(config(Map.of("FORTRESS_HEALTH_INTERVAL", "9s", "DB_HEALTH_INTERVAL", "9000ms")).healthInterval())
                .isEqualTo(Duration.ofSeconds(9));
        assertThat(config(Map.of("FORTRESS_HEALTH_TIMEOUT", "2s")).healthTimeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void anUnsetTimeoutFollowsAShortInterval() {
        assertThat(config(Map.of("FORTRESS_HEALTH_INTERVAL", "2s")).healthTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config(Map.of("DB_HEALTH_INTERVAL", "1m")).healthTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(FortressCommand.execute(new String[] {"--help"}, Map.of("FORTRESS_HEALTH_INTERVAL", "2s"),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))).isZero();
    }

    @Test
    void disagreeingValuesAreRefusedNamingBoth() {
        assertThatThrownBy(() -> config(Map.of("FORTRESS_HEALTH_INTERVAL", "9s", "DB_HEALTH_INTERVAL", "5s")))
                .isInstanceOf(DbConfigException.class)
                .hasMessageContaining("FORTRESS_HEALTH_INTERVAL=9s")
                .hasMessageContaining("DB_HEALTH_INTERVAL=5s")
                .hasMessageContaining("disagree");
    }

    @Test
    void serveRefusesABadCombinationBeforeStartingAnything() {
        StringWriter err = new StringWriter();
        int status = FortressCommand.execute(new String[] {"serve"}, Map.of("DB_HEALTH_INTERVAL", "2s", "FORTRESS_HEALTH_TIMEOUT", "5s"),
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertThat(status).isEqualTo(FortressCommand.USAGE);
        assertThat(err.toString()).contains("healthTimeout (DB_HEALTH_TIMEOUT) = 5s exceeds healthInterval (DB_HEALTH_INTERVAL) = 2s");
    }
}
