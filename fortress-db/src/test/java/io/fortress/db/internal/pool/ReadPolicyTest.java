package io.fortress.db.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.api.ReplicaFallback;
import io.fortress.db.api.NodeState;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The read policy as a table: replicas' states, lags and freshness in, candidates and fallback reason out. No database. */
class ReadPolicyTest {
    private static final long NOW = 1_000_000_000_000L;
    private static final long S = 1_000_000_000L;
    private static final long UNKNOWN = Long.MIN_VALUE;

    /** A replica as the policy sees it. */
    record Replica(String name, NodeState state, Double lagSeconds, long freshAsOfNanos) implements ReadTarget {
    }

    private static Replica r(String name, NodeState state, Double lag, long freshAgoNanos) {
        return new Replica(name, state, lag, freshAgoNanos == UNKNOWN ? UNKNOWN : NOW - freshAgoNanos);
    }

    private static ReadPolicy<Replica> policy(ReplicaFallback fallback, Replica... replicas) {
        ReadPolicy<Replica> policy = new ReadPolicy<>(List.of(replicas), fallback, Duration.ofMinutes(5), Replica[]::new);
        policy.refresh();
        return policy;
    }

    private static List<String> names(ReadPolicy.Plan<Replica> plan) {
        return Arrays.stream(plan.candidates()).map(Replica::name).sorted().toList();
    }

    static Stream<Arguments> defaultReads() {
        return Stream.of(
                Arguments.of("both streaming", ReplicaFallback.PRIMARY,
                        List.of(r("a", NodeState.STREAMING, 0.1, 0), r("b", NodeState.STREAMING, 0.2, 0)), List.of("a", "b"), null),
                Arguments.of("one lagging", ReplicaFallback.PRIMARY,
                        List.of(r("a", NodeState.LAGGING, 40.0, 0), r("b", NodeState.STREAMING, 0.2, 0)), List.of("b"), null),
                Arguments.of("none good: the primary", ReplicaFallback.PRIMARY,
                        List.of(r("a", NodeState.LAGGING, 40.0, 0), r("b", NodeState.UNREACHABLE, null, UNKNOWN)), List.of(),
                        Reroute.NO_REPLICA),
                Arguments.of("none good: the least lagged", ReplicaFallback.LEAST_LAGGED,
                        List.of(r("a", NodeState.LAGGING, 40.0, 0), r("b", NodeState.CATCHING_UP, 35.0, 0)), List.of("b"),
                        Reroute.LEAST_LAGGED),
                Arguments.of("least lagged skips a dead receiver and a promoted node", ReplicaFallback.LEAST_LAGGED,
                        List.of(r("a", NodeState.RECEIVER_DOWN, 1.0, 0), r("b", NodeState.PROMOTED, 0.0, 0),
                                r("c", NodeState.REPLAY_PAUSED, 50.0, 0)), List.of("c"), Reroute.LEAST_LAGGED),
                Arguments.of("least lagged within the fallback bound only", ReplicaFallback.LEAST_LAGGED,
                        List.of(r("a", NodeState.LAGGING, 600.0, 0)), List.of(), Reroute.NO_REPLICA),
                Arguments.of("no replicas at all", ReplicaFallback.PRIMARY, List.of(), List.of(), Reroute.NO_REPLICA));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("defaultReads")
    void defaultConsistency(String what, ReplicaFallback fallback, List<Replica> replicas, List<String> expected, Reroute reroute) {
        ReadPolicy.Plan<Replica> plan = policy(fallback, replicas.toArray(Replica[]::new)).any();
        assertThat(names(plan)).isEqualTo(expected);
        assertThat(plan.reroute()).isEqualTo(reroute);
    }

    static Stream<Arguments> boundedReads() {
        return Stream.of(
                Arguments.of("fresh within the bound", List.of(r("a", NodeState.STREAMING, 0.1, S), r("b", NodeState.STREAMING, 0.1, 3 * S)),
                        List.of("a"), null),
                Arguments.of("exactly at the bound", List.of(r("a", NodeState.STREAMING, 0.1, 2 * S)), List.of("a"), null),
                Arguments.of("a low measured lag is not enough: freshness decides",
                        List.of(r("a", NodeState.STREAMING, 0.0, 2 * S + 1)), List.of(), Reroute.TOO_STALE),
                Arguments.of("freshness unknown", List.of(r("a", NodeState.STREAMING, 0.0, UNKNOWN)), List.of(), Reroute.TOO_STALE),
                Arguments.of("a lagging or paused replica within the bound still serves",
                        List.of(r("a", NodeState.LAGGING, 1.0, S), r("b", NodeState.REPLAY_PAUSED, 1.5, S)), List.of("a", "b"), null),
                Arguments.of("unreachable and promoted never",
                        List.of(r("a", NodeState.UNREACHABLE, null, S), r("b", NodeState.PROMOTED, 0.0, 0)), List.of(), Reroute.TOO_STALE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("boundedReads")
    void boundedStaleness(String what, List<Replica> replicas, List<String> expected, Reroute reroute) {
        ReadPolicy.Plan<Replica> plan = policy(ReplicaFallback.PRIMARY, replicas.toArray(Replica[]::new))
                .boundedStaleness(Duration.ofSeconds(2), NOW);
        assertThat(names(plan)).isEqualTo(expected);
        assertThat(plan.reroute()).isEqualTo(reroute);
    }

    static Stream<Arguments> tokenReads() {
        return Stream.of(
                Arguments.of("every standby that answers, whatever its lag",
                        List.of(r("a", NodeState.LAGGING, 90.0, 0), r("b", NodeState.RECEIVER_DOWN, null, UNKNOWN),
                                r("c", NodeState.STREAMING, 0.0, 0)), List.of("a", "b", "c"), null),
                Arguments.of("not a promoted or unreachable node",
                        List.of(r("a", NodeState.PROMOTED, 0.0, 0), r("b", NodeState.UNREACHABLE, null, UNKNOWN)), List.of(),
                        Reroute.TOKEN_NOT_REPLAYED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenReads")
    void readYourWrites(String what, List<Replica> replicas, List<String> expected, Reroute reroute) {
        ReadPolicy.Plan<Replica> plan = policy(ReplicaFallback.PRIMARY, replicas.toArray(Replica[]::new)).tokens();
        assertThat(names(plan)).isEqualTo(expected);
        assertThat(plan.reroute()).isEqualTo(reroute);
    }

    @org.junit.jupiter.api.Test
    void roundRobinStartsEachReadOnTheNextGoodReplica() {
        ReadPolicy<Replica> policy = policy(ReplicaFallback.PRIMARY, r("a", NodeState.STREAMING, 0.0, 0),
                r("b", NodeState.LAGGING, 40.0, 0), r("c", NodeState.STREAMING, 0.0, 0));
        List<String> firsts = Stream.generate(policy::any).limit(4).map(p -> p.candidates()[policy.start(p.candidates().length)].name()).toList();
        assertThat(firsts).containsExactly("a", "c", "a", "c");
    }

    /** A replica whose state changes, as the checker's nodes do. */
    static final class Changing implements ReadTarget {
        volatile NodeState state;

        Changing(NodeState state) {
            this.state = state;
        }

        @Override
        public NodeState state() {
            return state;
        }

        @Override
        public Double lagSeconds() {
            return 0.0;
        }

        @Override
        public long freshAsOfNanos() {
            return NOW;
        }
    }

    @org.junit.jupiter.api.Test
    void aRefreshTakesTheReplicasNewStatesAndOnlyARefresh() {
        Changing a = new Changing(NodeState.STREAMING);
        Changing b = new Changing(NodeState.LAGGING);
        ReadPolicy<Changing> policy = new ReadPolicy<>(List.of(a, b), ReplicaFallback.PRIMARY, Duration.ofMinutes(5), Changing[]::new);
        assertThat(policy.any().candidates()).containsExactly(a);
        b.state = NodeState.STREAMING;
        a.state = NodeState.LAGGING;
        assertThat(policy.any().candidates()).as("before the refresh").containsExactly(a);
        policy.refresh();
        assertThat(policy.any().candidates()).containsExactly(b);
        assertThat(policy.any().reroute()).isNull();
    }

    @org.junit.jupiter.api.Test
    void theLeastLaggedFallbackTakesAReplicaExactlyAtItsBound() {
        ReadPolicy.Plan<Replica> plan = policy(ReplicaFallback.LEAST_LAGGED, r("a", NodeState.LAGGING, 300.0, 0)).any();
        assertThat(names(plan)).containsExactly("a");
        assertThat(plan.reroute()).isEqualTo(Reroute.LEAST_LAGGED);
    }

    @org.junit.jupiter.api.Test
    void withNoPrimaryAStandbyWhoseReceiverWentDownWithItServesDefaultReads() {
        Replica orphan = r("orphan", NodeState.RECEIVER_DOWN, 7.5, 0);
        ReadPolicy<Replica> policy = policy(ReplicaFallback.PRIMARY, orphan, r("gone", NodeState.UNREACHABLE, null, UNKNOWN),
                r("promoted", NodeState.PROMOTED, 0.0, 0));
        ReadPolicy.Plan<Replica> duringFailover = policy.any(false);
        assertThat(names(duringFailover)).containsExactly("orphan");
        assertThat(duringFailover.reroute()).isEqualTo(Reroute.NO_PRIMARY);
        // while a primary takes writes, a replica that receives no WAL takes no default read
        assertThat(policy.any(true).candidates()).isEmpty();
        assertThat(policy.any(true).reroute()).isEqualTo(Reroute.NO_REPLICA);
    }

    @org.junit.jupiter.api.Test
    void withNoPrimaryAStandbyBeyondTheFallbackLagOrOfUnknownLagServesNothing() {
        ReadPolicy<Replica> policy = policy(ReplicaFallback.LEAST_LAGGED, r("far", NodeState.RECEIVER_DOWN, 300.001, 0),
                r("unknown", NodeState.RECEIVER_DOWN, null, UNKNOWN));
        assertThat(policy.any(false).candidates()).isEmpty();
        assertThat(policy.any(false).reroute()).isEqualTo(Reroute.NO_REPLICA);
        ReadPolicy<Replica> atTheBound = policy(ReplicaFallback.PRIMARY, r("near", NodeState.RECEIVER_DOWN, 300.0, 0));
        assertThat(names(atTheBound.any(false))).containsExactly("near");
    }

    @org.junit.jupiter.api.Test
    void withNoPrimaryTheGoodReplicasStillComeFirst() {
        ReadPolicy<Replica> policy = policy(ReplicaFallback.PRIMARY, r("good", NodeState.STREAMING, 0.0, 0),
                r("orphan", NodeState.RECEIVER_DOWN, 1.0, 0));
        ReadPolicy.Plan<Replica> plan = policy.any(false);
        assertThat(names(plan)).containsExactly("good");
        assertThat(plan.reroute()).isNull();
    }
}
