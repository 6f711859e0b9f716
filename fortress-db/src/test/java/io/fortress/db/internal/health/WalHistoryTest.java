package io.fortress.db.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WalHistoryTest {
    private static final long S = 1_000_000_000L;

    @Test
    void idlePrimaryMeansNoLagHoweverLongItIsIdle() {
        WalHistory h = new WalHistory(16);
        h.add(0, 100);
        for (long t = 1; t < 100; t++) {
            h.add(t * S, 100); // the position does not move
        }
        assertThat(h.stalenessNanos(100, 100 * S)).isZero();
    }

    @Test
    void lagIsTheAgeOfTheFirstPositionNotYetReplayed() {
        WalHistory h = new WalHistory(16);
        h.add(0, 100);
        h.add(10 * S, 200);
        h.add(20 * S, 300);
        assertThat(h.stalenessNanos(300, 25 * S)).isZero();
        assertThat(h.stalenessNanos(250, 25 * S)).isEqualTo(5 * S);
        assertThat(h.stalenessNanos(150, 25 * S)).isEqualTo(15 * S);
        // a stuck replica keeps getting staler as time passes
        assertThat(h.stalenessNanos(150, 40 * S)).isEqualTo(30 * S);
    }

    @Test
    void aReplicaBehindEverySampleHeldGetsTheOldestAgeAsALowerBound() {
        WalHistory h = new WalHistory(3);
        for (long t = 0; t < 10; t++) {
            h.add(t * S, 100 + t);
        }
        assertThat(h.latest()).isEqualTo(109);
        assertThat(h.stalenessNanos(50, 10 * S)).isEqualTo(3 * S); // oldest kept sample is t=7
    }

    @Test
    void unknownBeforeTheFirstSampleAndUnsignedPositions() {
        WalHistory h = new WalHistory(4);
        assertThat(h.stalenessNanos(0, S)).isEqualTo(-1);
        assertThat(h.latest()).isEqualTo(-1);
        h.add(0, 0x8000_0000_0000_0000L); // beyond Long.MAX_VALUE as unsigned
        assertThat(h.stalenessNanos(0x7FFF_FFFF_FFFF_FFFFL, 2 * S)).isEqualTo(2 * S);
    }

    @Test
    void freshnessIsTheLastTimeThePrimaryWasSeenAtOrBeforeTheReplayedPosition() {
        WalHistory h = new WalHistory(16);
        h.add(0, 100);
        h.add(S, 100); // an idle second: still at 100
        h.add(2 * S, 200);
        h.add(3 * S, 300);
        assertThat(h.freshAsOf(100)).isEqualTo(S); // not 0: the primary was still at 100 a second later
        assertThat(h.freshAsOf(250)).isEqualTo(2 * S);
        assertThat(h.freshAsOf(300)).isEqualTo(3 * S);
        assertThat(h.freshAsOf(99)).as("behind every sample held: unknown").isEqualTo(Long.MIN_VALUE);
        // the lag, a lower bound, and the freshness, an upper bound, bracket the truth
        assertThat(h.stalenessNanos(250, 4 * S)).isEqualTo(S);
        assertThat(4 * S - h.freshAsOf(250)).isEqualTo(2 * S);
    }

    @Test
    void aReadTakesTheLagFromItsEndAndTheFreshnessFromItsStart() {
        WalHistory h = new WalHistory(16);
        h.add(0, S / 10, 100); // the position was read between 0 and 0.1 s
        h.add(S, S + S / 10, 200);
        assertThat(h.freshAsOf(100)).isZero();
        assertThat(h.stalenessNanos(150, 2 * S)).isEqualTo(2 * S - (S + S / 10));
    }

    @org.junit.jupiter.api.Test
    void aRepeatedPositionMovesTheLastSeenTimeOfTheLatestSampleOnly() {
        WalHistory h = new WalHistory(4);
        h.add(1, 100);
        h.add(2, 200);
        h.add(5, 200);
        assertThat(h.freshAsOf(200)).isEqualTo(5);
        assertThat(h.freshAsOf(150)).isEqualTo(1);
        assertThat(h.stalenessNanos(150, 10)).as("first seen at 2, not at the repeat").isEqualTo(8);
    }

    @org.junit.jupiter.api.Test
    void repeatsTakeNoRoomInTheRing() {
        WalHistory h = new WalHistory(3);
        h.add(1, 100);
        h.add(2, 200);
        h.add(3, 200);
        h.add(4, 300);
        assertThat(h.freshAsOf(150)).as("three distinct positions fit: the sample at 100 is still held").isEqualTo(1);
        assertThat(h.freshAsOf(250)).isEqualTo(3);
        assertThat(h.stalenessNanos(150, 10)).isEqualTo(8);
        assertThat(h.latest()).isEqualTo(300);
        h.add(5, 400);
        assertThat(h.freshAsOf(150)).as("a fourth evicts the oldest").isEqualTo(Long.MIN_VALUE);
    }

    @org.junit.jupiter.api.Test
    void aClearedHistoryForgetsTheSamplesItHeld() {
        WalHistory h = new WalHistory(4);
        h.add(1, 100);
        h.add(2, 200);
        h.clear();
        assertThat(h.latest()).isEqualTo(-1);
        assertThat(h.stalenessNanos(60, 10)).isEqualTo(-1);
        h.add(3, 50);
        assertThat(h.stalenessNanos(60, 10)).as("the sample at 200 from before the clear is gone").isZero();
        assertThat(h.freshAsOf(250)).isEqualTo(3);
        assertThat(h.latest()).isEqualTo(50);
    }

    @org.junit.jupiter.api.Test
    void aReplicaExactlyAtASampledPositionHasNoLagFromIt() {
        WalHistory h = new WalHistory(4);
        h.add(10, 100);
        assertThat(h.stalenessNanos(100, 50)).isZero();
        assertThat(h.stalenessNanos(99, 50)).isEqualTo(40);
    }
}
