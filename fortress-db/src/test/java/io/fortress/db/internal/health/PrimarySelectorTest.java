package io.fortress.db.internal.health;

import io.fortress.db.api.NodeState;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which DB_HOST candidate takes writes, as a table of candidates' states and timelines. No database. */
class PrimarySelectorTest {
    private static PrimarySelector.Candidate up(long timeline) {
        return new PrimarySelector.Candidate(NodeState.UP, timeline);
    }

    private static PrimarySelector.Candidate is(NodeState state) {
        return new PrimarySelector.Candidate(state, null);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("the current one is up: it stays", List.of(up(1), is(NodeState.DEMOTED)), 0, 0, false),
                Arguments.of("the current one is down: the promoted one", List.of(is(NodeState.DOWN), up(2)), 0, 1, false),
                Arguments.of("the current one is demoted: the promoted one", List.of(is(NodeState.DEMOTED), up(2)), 0, 1, false),
                Arguments.of("nobody is up: no change", List.of(is(NodeState.DOWN), is(NodeState.DEMOTED)), 0, 0, false),
                Arguments.of("both up, the other on a newer timeline: split brain, the newer wins", List.of(up(1), up(2)), 0, 1, true),
                Arguments.of("both up on the same timeline: the current one stays", List.of(up(3), up(3)), 1, 1, false),
                Arguments.of("several promoted: the newest timeline", List.of(is(NodeState.DOWN), up(2), up(4)), 0, 2, false),
                Arguments.of("a tie: the first configured", List.of(is(NodeState.DOWN), up(5), up(5)), 0, 1, false),
                Arguments.of("up without a known timeline is not chosen",
                        List.of(is(NodeState.DOWN), new PrimarySelector.Candidate(NodeState.UP, null)), 0, 0, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void choose(String what, List<PrimarySelector.Candidate> candidates, int current, int expected, boolean splitBrain) {
        PrimarySelector.Choice choice = PrimarySelector.choose(candidates, current);
        assertThat(choice.index()).isEqualTo(expected);
        assertThat(choice.splitBrain()).isEqualTo(splitBrain);
    }

    @org.junit.jupiter.api.Test
    void aPromotedCandidateConfiguredFirstIsChosenWhenTheCurrentOneIsDown() {
        PrimarySelector.Choice choice = PrimarySelector.choose(List.of(up(2), is(NodeState.DOWN)), 1);
        assertThat(choice).isEqualTo(new PrimarySelector.Choice(0, false));
    }

    @org.junit.jupiter.api.Test
    void theNewestTimelineWinsEvenWhenAnOlderOneIsConfiguredAfterIt() {
        // the first candidate is on the newest timeline; the current (second) one still takes writes: split brain
        PrimarySelector.Choice choice = PrimarySelector.choose(List.of(up(5), up(3)), 1);
        assertThat(choice).isEqualTo(new PrimarySelector.Choice(0, true));
    }
}
