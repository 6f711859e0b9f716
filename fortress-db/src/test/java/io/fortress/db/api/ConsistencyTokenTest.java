package io.fortress.db.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Consistency tokens as services carry them: text form, comparison with a replica's position, merging. No database. */
class ConsistencyTokenTest {

    @Test
    void parsesTheTextFormAroundWhiteSpaceAndPrintsItBack() {
        assertThat(ConsistencyToken.parse(" 0/3000060\n")).isEqualTo(new ConsistencyToken(0x3000060L));
        assertThat(new ConsistencyToken(0x1_0000_0002L)).hasToString("1/2");
        assertThat(ConsistencyToken.parse("FFFFFFFF/FFFFFFFF").lsn()).isEqualTo(-1L);
    }

    @Test
    void refusesNoTextAndTextThatIsNoPosition() {
        assertThatThrownBy(() -> ConsistencyToken.parse(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no WAL position given");
        assertThatThrownBy(() -> ConsistencyToken.parse("0/-1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'0/-1' is not a WAL position");
    }

    @Test
    void aReplicaReachesATokenAtItsPositionOrPast() {
        ConsistencyToken token = new ConsistencyToken(100);
        assertThat(token.isReachedBy(100)).isTrue();
        assertThat(token.isReachedBy(101)).isTrue();
        assertThat(token.isReachedBy(99)).isFalse();
        // unsigned: a position past 2^63 is far ahead, not negative
        assertThat(token.isReachedBy(Long.MIN_VALUE)).isTrue();
        assertThat(new ConsistencyToken(Long.MIN_VALUE).isReachedBy(Long.MAX_VALUE)).isFalse();
    }

    @Test
    void maxIsTheLaterTokenAndThisOneOnATie() {
        ConsistencyToken early = new ConsistencyToken(100);
        ConsistencyToken late = new ConsistencyToken(200);
        assertThat(early.max(late)).isSameAs(late);
        assertThat(late.max(early)).isSameAs(late);
        ConsistencyToken same = new ConsistencyToken(100);
        assertThat(early.max(same)).isSameAs(early);
        ConsistencyToken high = new ConsistencyToken(Long.MIN_VALUE);
        assertThat(late.max(high)).as("unsigned").isSameAs(high);
    }
}
