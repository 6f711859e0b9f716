package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.Percentage;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hedging settings: off by default, bounded, and refused with the setting and what is accepted. */
class HedgeSettingsTest {
    @Test
    void offByDefaultAndOnceOnHedgesAfterTwentyMillisecondsWithinFivePercent() {
        DbConfig config = DbConfig.builder().build();
        assertThat(config.hedgeReads()).isFalse();
        assertThat(config.hedgeMinDelay()).isEqualTo(Duration.ofMillis(20));
        assertThat(config.hedgeBudget()).isEqualTo(new Percentage(5));
        assertThat(config.hedgeBudget().fraction()).isEqualTo(0.05);
    }

    @Test
    void environmentVariablesSetThem() {
        DbConfig config = DbConfig.fromEnv(Map.of("DB_HEDGE_READS", "true", "DB_HEDGE_MIN_DELAY", "50ms", "DB_HEDGE_BUDGET", "0.5%"));
        assertThat(config.hedgeReads()).isTrue();
        assertThat(config.hedgeMinDelay()).isEqualTo(Duration.ofMillis(50));
        assertThat(config.hedgeBudget().value()).isEqualTo(0.5);
        assertThat(config.toString()).contains("hedgeBudget=0.5%");
    }

    @Test
    void aBudgetWithoutItsSignOrOutOfRangeIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_HEDGE_BUDGET", "0.05"))).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("DB_HEDGE_BUDGET=0.05 is invalid").hasMessageContaining("write it with %, e.g. 5%");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_HEDGE_BUDGET", "five%"))).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("'five%' is not a percentage");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_HEDGE_BUDGET", "60%"))).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("expected a percentage from 0.1% to 50%");
        assertThatThrownBy(() -> DbConfig.builder().hedgeBudget(new Percentage(0)).build()).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("hedgeBudget = 0% is invalid");
    }

    @Test
    void aDelayOutsideOneMillisecondToTenSecondsIsRefused() {
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_HEDGE_MIN_DELAY", "500us"))).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("DB_HEDGE_MIN_DELAY=500us is invalid: expected a duration from 1ms to 10s");
        assertThatThrownBy(() -> DbConfig.builder().hedgeMinDelay(Duration.ofSeconds(11)).build()).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("hedgeMinDelay = 11s is invalid");
        assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_HEDGE_READS", "sometimes"))).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("DB_HEDGE_READS=sometimes is invalid");
    }
}
