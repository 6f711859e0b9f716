package io.fortress.db.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** WAL positions in the server's text form, examples at the edges of what pg_lsn accepts. No database. */
class LsnTest {

    @Test
    void theHighHalfIsShiftedAboveTheLowHalf() {
        assertThat(Lsn.parse("0/3000060")).isEqualTo(0x3000060L);
        assertThat(Lsn.parse("1/0")).isEqualTo(1L << 32);
        assertThat(Lsn.parse("1/2")).isEqualTo((1L << 32) + 2);
        assertThat(Lsn.parse("16/B374D848")).isEqualTo(0x16_B374D848L);
    }

    @Test
    void everyHexDigitAtTheEdgesOfItsRangeIsADigit() {
        assertThat(Lsn.parse("9aAfF0/9")).isEqualTo(0x9AAFF0L << 32 | 9);
        assertThat(Lsn.parse("0/0")).isZero();
        assertThat(Lsn.parse("a/f")).isEqualTo(0xAL << 32 | 0xF);
        assertThat(Lsn.parse("A/F")).isEqualTo(0xAL << 32 | 0xF);
    }

    @Test
    void eightDigitsAreTheMostEitherHalfTakes() {
        assertThat(Lsn.parse("FFFFFFFF/FFFFFFFF")).isEqualTo(-1L);
        assertThat(Lsn.parse("FFFFFFFF/0")).isEqualTo(0xFFFFFFFFL << 32);
        assertThat(Lsn.parse("0/FFFFFFFF")).isEqualTo(0xFFFFFFFFL);
        assertThatThrownBy(() -> Lsn.parse("100000000/0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a WAL position");
        assertThatThrownBy(() -> Lsn.parse("0/100000000")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a WAL position");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "/1", "1/", "1", "0/-1", "0/+1", "-1/0", "+1/0", "0/g", "g/0", "0/G", "0/:", "0/@", "0/`",
            "0/1/2", "0x1/0", " 0/1", "0/1 ", "\u0661/0", "0/\uff11"})
    void refusesWhatPgLsnRefuses(String text) {
        assertThatThrownBy(() -> Lsn.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a WAL position (expected hex X/Y, e.g. 0/3000060)");
    }

    @Test
    void refusesNoText() {
        assertThatThrownBy(() -> Lsn.parse(null)).isInstanceOf(IllegalArgumentException.class).hasMessage("no WAL position given");
    }

    @Test
    void formatsAsTheServerPrintsUpperCaseHalves() {
        assertThat(Lsn.format(0x3000060L)).isEqualTo("0/3000060");
        assertThat(Lsn.format((1L << 32) + 2)).isEqualTo("1/2");
        assertThat(Lsn.format(0xABCDEFL << 32 | 0xFFL)).isEqualTo("ABCDEF/FF");
        assertThat(Lsn.format(-1L)).as("the top bit is no sign").isEqualTo("FFFFFFFF/FFFFFFFF");
        assertThat(Lsn.format(0)).isEqualTo("0/0");
    }

    @Test
    void distanceIsTheBytesAheadAndZeroWhenNotAhead() {
        assertThat(Lsn.distance(3, 10)).isEqualTo(7);
        assertThat(Lsn.distance(10, 3)).isZero();
        assertThat(Lsn.distance(10, 10)).isZero();
        // unsigned: past 2^63 is ahead, not negative
        assertThat(Lsn.distance(1, Long.MIN_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(Lsn.distance(-1L, 1)).isZero();
    }
}
