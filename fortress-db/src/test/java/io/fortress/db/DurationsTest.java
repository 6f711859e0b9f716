package io.fortress.db;

import io.fortress.db.api.Durations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
            "5m, PT5M", "1h, PT1H", "30s, PT30S", "500ms, PT0.5S", "1h30m, PT1H30M", "1.5h, PT1H30M",
            "2h45m30s, PT2H45M30S", "0, PT0S", "300us, PT0.0003S", "300µs, PT0.0003S", "1ns, PT0.000000001S",
            "-1m, PT-1M", "+10s, PT10S", ".5s, PT0.5S"})
    void parsesGoDurations(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @Test
    void refusesWhatGoRefuses() {
        assertThatThrownBy(() -> Durations.parse("5")).hasMessageContaining("without a unit");
        assertThatThrownBy(() -> Durations.parse("5 minutes")).hasMessageContaining("unknown unit ' minutes'");
        assertThatThrownBy(() -> Durations.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> Durations.parse("m")).hasMessageContaining("expected a number");
        assertThatThrownBy(() -> Durations.parse("1.2.3s")).hasMessageContaining("expected a number");
        assertThatThrownBy(() -> Durations.parse("9999999999h")).hasMessageContaining("too long");
    }

    @ParameterizedTest
    @CsvSource({"PT1H30M, 1h30m", "PT0.5S, 500ms", "PT5M, 5m", "PT0S, 0s", "PT26H, 26h", "PT0.0003S, 300us", "PT1M1S, 1m1s"})
    void formatsShortestForm(Duration d, String expected) {
        assertThat(Durations.format(d)).isEqualTo(expected);
        assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
    }
}
