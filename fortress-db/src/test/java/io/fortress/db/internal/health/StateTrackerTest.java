package io.fortress.db.internal.health;

import io.fortress.db.api.NodeState;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StateTrackerTest {

    @Test
    void entersABadStateAfterFallAndLeavesItAfterRise() {
        StateTracker t = new StateTracker(2, 3);
        assertThat(t.observe(NodeState.STREAMING, "ok").to()).isEqualTo(NodeState.STREAMING);
        assertThat(t.observe(NodeState.LAGGING, "40 s behind").to()).isEqualTo(NodeState.STREAMING);
        assertThat(t.pending()).isTrue();
        assertThat(t.observe(NodeState.REPLAY_PAUSED, "paused").to()).isEqualTo(NodeState.REPLAY_PAUSED);
        assertThat(t.pending()).isFalse();
        assertThat(t.observe(NodeState.STREAMING, "ok").to()).isEqualTo(NodeState.REPLAY_PAUSED);
        assertThat(t.observe(NodeState.STREAMING, "ok").to()).isEqualTo(NodeState.REPLAY_PAUSED);
        assertThat(t.observe(NodeState.STREAMING, "ok").to()).isEqualTo(NodeState.STREAMING);
    }

    @Test
    void aSingleGoodObservationResetsTheBadStreak() {
        StateTracker t = new StateTracker(3, 3);
        t.observe(NodeState.STREAMING, "ok");
        for (int i = 0; i < 20; i++) {
            t.observe(NodeState.LAGGING, "behind");
            t.observe(NodeState.LAGGING, "behind");
            t.observe(NodeState.STREAMING, "ok"); // oscillating around the threshold
        }
        assertThat(t.state()).isEqualTo(NodeState.STREAMING);
    }

    @Test
    void changesWithinAClassAreImmediateAndTheFirstObservationIsTaken() {
        StateTracker t = new StateTracker(5, 5);
        assertThat(t.observe(NodeState.UNREACHABLE, "refused").changed()).isTrue();
        assertThat(t.state()).isEqualTo(NodeState.UNREACHABLE);
        assertThat(t.observe(NodeState.RECEIVER_DOWN, "no receiver").to()).isEqualTo(NodeState.RECEIVER_DOWN);
        assertThat(t.reason()).isEqualTo("no receiver");
    }

    @Test
    void aConclusiveBadObservationIsTakenAtOnceAndRiseStillApplies() {
        StateTracker t = new StateTracker(3, 2);
        t.observe(NodeState.STREAMING, "ok");
        assertThat(t.observe(NodeState.UNREACHABLE, "timed out", false).to()).isEqualTo(NodeState.STREAMING);
        assertThat(t.observe(NodeState.UNREACHABLE, "timed out; statements stalled", true).to()).isEqualTo(NodeState.UNREACHABLE);
        assertThat(t.pending()).isFalse();
        // conclusive only speeds up leaving: a good observation still needs rise
        assertThat(t.observe(NodeState.STREAMING, "ok", true).to()).isEqualTo(NodeState.UNREACHABLE);
        assertThat(t.observe(NodeState.STREAMING, "ok").to()).isEqualTo(NodeState.STREAMING);
    }

    @Test
    void aConfirmedGoodObservationIsTakenAtOnce() {
        StateTracker t = new StateTracker(3, 2);
        t.observe(NodeState.UP, "accepts writes");
        t.observe(NodeState.DEMOTED, "in recovery", true);
        assertThat(t.state()).isEqualTo(NodeState.DEMOTED);
        StateTracker.Change change = t.confirm(NodeState.UP, "accepts writes; Patroni's leader");
        assertThat(change.from()).isEqualTo(NodeState.DEMOTED);
        assertThat(change.to()).isEqualTo(NodeState.UP);
        assertThat(t.pending()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.confirm(NodeState.DOWN, "no"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void aChangeIsReportedOnlyWhenTheReportedStateMoves() {
        StateTracker t = new StateTracker(2, 2);
        assertThat(t.observe(NodeState.STREAMING, "ok").changed()).as("the first observation").isTrue();
        assertThat(t.observe(NodeState.STREAMING, "ok").changed()).isFalse();
        assertThat(t.observe(NodeState.LAGGING, "behind").changed()).as("pending, not yet taken").isFalse();
        assertThat(t.observe(NodeState.LAGGING, "behind").changed()).isTrue();
    }

    @org.junit.jupiter.api.Test
    void sinceMovesOnlyWhenTheStateChangesAndTheStreakCountsTowardsFallAndRise() throws Exception {
        StateTracker t = new StateTracker(3, 2);
        assertThat(t.since()).isNull();
        t.observe(NodeState.STREAMING, "ok");
        java.time.Instant first = t.since();
        assertThat(first).isNotNull();
        Thread.sleep(5);
        t.observe(NodeState.STREAMING, "still ok");
        assertThat(t.since()).as("the same state keeps its start").isEqualTo(first);
        assertThat(t.reason()).isEqualTo("still ok");
        assertThat(t.streak()).isZero();
        t.observe(NodeState.LAGGING, "behind");
        assertThat(t.streak()).isEqualTo(1);
        t.observe(NodeState.LAGGING, "behind");
        assertThat(t.streak()).isEqualTo(2);
        assertThat(t.since()).isEqualTo(first);
        t.observe(NodeState.LAGGING, "behind");
        assertThat(t.state()).isEqualTo(NodeState.LAGGING);
        assertThat(t.streak()).isZero();
        assertThat(t.since()).isAfter(first);
    }
}
