package io.fortress.db.internal.health;

import io.fortress.db.api.NodeState;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A replica's state from its reading and what is known of the primary, as a table. No database. */
class ReplicaClassifierTest {
    private static final Duration MAX_LAG = Duration.ofSeconds(30);

    private static NodeProbe.ReplicaReading reading(boolean inRecovery, Long received, Long replayed, boolean paused, Integer receiverPid,
                                                    String status) {
        return new NodeProbe.ReplicaReading(inRecovery, received, replayed, paused, receiverPid, status, true);
    }

    private static NodeProbe.ReplicaReading streaming(long replayed) {
        return reading(true, replayed, replayed, false, 42, "streaming");
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("promoted", reading(false, null, null, false, null, null), 1000L, 0.0, null, null,
                        NodeState.PROMOTED, "not in recovery"),
                Arguments.of("streaming, idle primary", streaming(1000), 1000L, 0.0, null, null, NodeState.STREAMING, "streaming, 0.0 s behind"),
                Arguments.of("streaming before the first sample", streaming(1000), -1L, null, null, null, NodeState.STREAMING, "streaming"),
                Arguments.of("no WAL receiver", reading(true, 900L, 900L, false, null, null), 1000L, 5.0, null, null,
                        NodeState.RECEIVER_DOWN, "no WAL receiver is running"),
                Arguments.of("receiver not streaming", reading(true, 900L, 900L, false, 42, "waiting"), 1000L, 5.0, null, null,
                        NodeState.RECEIVER_DOWN, "the WAL receiver is waiting"),
                Arguments.of("paused replay wins over lag", reading(true, 1000L, 500L, true, 42, "streaming"), 1000L, 90.0, null, null,
                        NodeState.REPLAY_PAUSED, "pg_wal_replay_resume()"),
                Arguments.of("over the maximum lag, not gaining", streaming(500), 1000L, 31.0, 500L, 500L, NodeState.LAGGING,
                        "31.0 s behind (500 bytes), over the maximum lag of 30s"),
                Arguments.of("over the maximum lag, gaining ground", streaming(600), 1000L, 31.0, 500L, 500L, NodeState.CATCHING_UP,
                        "gaining ground"),
                Arguments.of("exactly at the maximum lag", streaming(900), 1000L, 30.0, null, null, NodeState.STREAMING,
                        "streaming, 30.0 s behind"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void classify(String what, NodeProbe.ReplicaReading reading, long primaryLsn, Double lagSeconds, Long previousReplayed,
                  Long previousLagBytes, NodeState expected, String reason) {
        Observation o = ReplicaClassifier.classify(reading,
                new ReplicaClassifier.Context(primaryLsn, lagSeconds, 7L, previousReplayed, previousLagBytes, MAX_LAG));
        assertThat(o.state()).isEqualTo(expected);
        assertThat(o.reason()).contains(reason);
        if (expected != NodeState.PROMOTED && primaryLsn >= 0) {
            assertThat(o.lagBytes()).isEqualTo(primaryLsn - reading.replayedLsn());
            assertThat(o.freshAsOf()).isEqualTo(7L);
        }
    }

    private static Observation classify(NodeProbe.ReplicaReading reading, long primaryLsn, Double lagSeconds, Long previousReplayed,
                                        Long previousLagBytes) {
        return ReplicaClassifier.classify(reading,
                new ReplicaClassifier.Context(primaryLsn, lagSeconds, 7L, previousReplayed, previousLagBytes, MAX_LAG));
    }

    @org.junit.jupiter.api.Test
    void bothLagsInBytesAreMeasuredOnceThePrimaryWasSampledEvenAtPositionZero() {
        Observation o = classify(reading(true, 900L, 800L, false, 42, "streaming"), 1000L, 1.0, null, null);
        assertThat(o.lagBytes()).isEqualTo(200L);
        assertThat(o.receiveLagBytes()).isEqualTo(100L);
        assertThat(o.walLsn()).isEqualTo(800L);
        assertThat(o.receivedLsn()).isEqualTo(900L);
        // a primary sampled at position 0 is sampled: no lag, and it is known
        Observation atZero = classify(reading(true, 0L, 0L, false, 42, "streaming"), 0L, 0.0, null, null);
        assertThat(atZero.lagBytes()).isZero();
        assertThat(atZero.receiveLagBytes()).isZero();
        assertThat(atZero.lagSeconds()).isZero();
        assertThat(atZero.reason()).isEqualTo("streaming, 0.0 s behind");
        // no sample yet: neither lag is known, and the lag in seconds is not taken
        Observation unsampled = classify(reading(true, 900L, 800L, false, 42, "streaming"), -1L, 3.0, null, null);
        assertThat(unsampled.lagBytes()).isNull();
        assertThat(unsampled.receiveLagBytes()).isNull();
        assertThat(unsampled.lagSeconds()).isNull();
        assertThat(unsampled.reason()).isEqualTo("streaming");
        // nothing received yet: no receive lag, the replay lag still measured
        Observation noneReceived = classify(reading(true, null, 800L, false, 42, "streaming"), 1000L, 1.0, null, null);
        assertThat(noneReceived.receiveLagBytes()).isNull();
        assertThat(noneReceived.lagBytes()).isEqualTo(200L);
    }

    @org.junit.jupiter.api.Test
    void gainingGroundNeedsBothAFurtherReplayAndAStrictlySmallerLag() {
        // replay did not move, even though the lag in bytes shrank (the primary's sample moved back): lagging
        assertThat(classify(streaming(500), 1000L, 31.0, 500L, 600L).state()).isEqualTo(NodeState.LAGGING);
        // replay moved, but the primary moved as far: the same lag, lagging
        assertThat(classify(streaming(600), 1100L, 31.0, 500L, 500L).state()).isEqualTo(NodeState.LAGGING);
        // replay moved and the lag shrank: catching up
        assertThat(classify(streaming(600), 1100L, 31.0, 500L, 501L).state()).isEqualTo(NodeState.CATCHING_UP);
        // no previous check: lagging
        assertThat(classify(streaming(600), 1100L, 31.0, null, 900L).state()).isEqualTo(NodeState.LAGGING);
        assertThat(classify(streaming(600), 1100L, 31.0, 500L, null).state()).isEqualTo(NodeState.LAGGING);
    }
}
