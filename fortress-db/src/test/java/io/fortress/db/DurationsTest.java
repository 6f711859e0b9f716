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

    // Edges (issue #31, mutation testing)

    @ParameterizedTest
    @CsvSource({"1ns, 1", "1us, 1000", "1µs, 1000", "1μs, 1000", "1ms, 1000000", "1s, 1000000000", "1m, 60000000000",
            "1h, 3600000000000", "' 2m ', 120000000000", "-0, 0", "+0, 0", "1.5ns, 1", "-1.5ns, -1", "1h.5m, 3630000000000",
            "9223372036854775807ns, 9223372036854775807", "-9223372036854775808ns, -9223372036854775808"})
    void parsesEveryUnitAndTheEdgesOfTheRangeToTheNanosecond(String text, long nanos) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @Test
    void refusesASignAloneNoTextAndNumbersPastTheRangeOrWithoutDigits() {
        assertThatThrownBy(() -> Durations.parse(null)).isInstanceOf(IllegalArgumentException.class).hasMessage("no duration given");
        assertThatThrownBy(() -> Durations.parse("  ")).hasMessage("empty duration");
        assertThatThrownBy(() -> Durations.parse("-")).hasMessage("'-' is not a duration");
        assertThatThrownBy(() -> Durations.parse("+")).hasMessage("'+' is not a duration");
        assertThatThrownBy(() -> Durations.parse("9223372036854775808ns")).hasMessage("'9223372036854775808ns' is too long a duration");
        assertThatThrownBy(() -> Durations.parse("-9223372036854775809ns")).hasMessageContaining("too long");
        assertThatThrownBy(() -> Durations.parse("1h.m")).hasMessage("'1h.m' is not a duration (expected a number at position 3)");
        assertThatThrownBy(() -> Durations.parse("1h..5m")).hasMessageContaining("expected a number at position 3");
        assertThatThrownBy(() -> Durations.parse("1hm")).hasMessage("'1hm' has an unknown unit 'hm'; use ns, us, ms, s, m or h");
        assertThatThrownBy(() -> Durations.parse("1h5")).hasMessage("'1h5' has a number without a unit; add one of ns, us, ms, s, m, h (e.g. 30s)");
        assertThatThrownBy(() -> Durations.parse("٣1h")).hasMessageContaining("expected a number at position 1");
    }

    @ParameterizedTest
    @CsvSource({"1, 1ns", "1500, 1500ns", "1000, 1us", "1500000, 1500us", "1000000, 1ms", "1500000000, 1500ms", "1000000000, 1s",
            "59000000000, 59s", "60000000000, 1m", "61000000000, 1m1s", "3540000000000, 59m", "3600000000000, 1h",
            "3601000000000, 1h1s", "3660000000000, 1h1m", "-90000000000, -1m30s", "-1, -1ns", "0, 0s"})
    void formatsEachSizeWithItsLargestExactUnit(long nanos, String expected) {
        assertThat(Durations.format(Duration.ofNanos(nanos))).isEqualTo(expected);
    }

    @Test
    void formatsDurationsBeyondTheLongNanosecondsParseTakes() {
        assertThat(Durations.format(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo("2562047788015215h30m7s");
        assertThat(Durations.format(Duration.ofSeconds(Long.MIN_VALUE))).isEqualTo("-2562047788015215h30m8s");
    }
}
