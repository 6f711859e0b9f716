package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.DbSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fortress serve's health settings and the library's DB_HEALTH_* for the same thing. */
class CliSettingsTest {

    private static Duration interval(Map<String, String> env) {
        return CliSettings.serveHealth(CliSettings.HEALTH_INTERVAL, DbSettings.HEALTH_INTERVAL, env);
    }

    @Test
    void serveTakesItsOwnSettingThenTheLibrarysThenItsDefault() {
        assertThat(interval(Map.of())).isEqualTo(Duration.ofSeconds(30));
        assertThat(interval(Map.of("DB_HEALTH_INTERVAL", "7s"))).isEqualTo(Duration.ofSeconds(7));
        assertThat(interval(Map.of("FORTRESS_HEALTH_INTERVAL", "9s"))).isEqualTo(Duration.ofSeconds(9));
        assertThat(interval(Map.of("FORTRESS_HEALTH_INTERVAL", "9s", "DB_HEALTH_INTERVAL", "9000ms"))).isEqualTo(Duration.ofSeconds(9));
        assertThat(CliSettings.serveHealth(CliSettings.HEALTH_TIMEOUT, DbSettings.HEALTH_TIMEOUT, Map.of("DB_HEALTH_TIMEOUT", "2s")))
                .isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void disagreeingValuesAreRefusedNamingBoth() {
        assertThatThrownBy(() -> interval(Map.of("FORTRESS_HEALTH_INTERVAL", "9s", "DB_HEALTH_INTERVAL", "5s")))
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
        assertThat(err.toString()).contains("timeout 5s exceeds the interval 2s");
    }
}
