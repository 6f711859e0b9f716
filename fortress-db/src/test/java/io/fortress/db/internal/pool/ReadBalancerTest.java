package io.fortress.db.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class ReadBalancerTest {

    @Test
    void rotatesEvenlyAndListsTheOthersForRetries() {
        ReadBalancer<String> balancer = new ReadBalancer<>(List.of("a", "b", "c"), r -> true, String[]::new);
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            String[] order = order(balancer, balancer.eligible());
            assertThat(order).containsExactlyInAnyOrder("a", "b", "c");
            first.merge(order[0], 1, Integer::sum);
        }
        assertThat(first).containsOnly(Map.entry("a", 100), Map.entry("b", 100), Map.entry("c", 100));
    }

    @Test
    void survivesTheCounterOverflowing() {
        ReadBalancer<String> balancer = new ReadBalancer<>(List.of("a", "b", "c"), r -> true, String[]::new, Long.MAX_VALUE - 5);
        for (int i = 0; i < 20; i++) {
            assertThat(order(balancer, balancer.eligible())).containsExactlyInAnyOrder("a", "b", "c");
        }
    }

    @Test
    void skipsIneligibleReplicasFromTheNextSnapshotOn() {
        Set<String> down = ConcurrentHashMap.newKeySet();
        ReadBalancer<String> balancer = new ReadBalancer<>(List.of("a", "b"), r -> !down.contains(r), String[]::new);
        down.add("a");
        assertThat(order(balancer, balancer.eligible())).hasSize(2); // not refreshed yet
        balancer.refresh();
        for (int i = 0; i < 5; i++) {
            assertThat(order(balancer, balancer.eligible())).containsExactly("b");
        }
        down.add("b");
        balancer.refresh();
        assertThat(order(balancer, balancer.eligible())).isEmpty();
    }

    @Test
    void filteredCandidatesRotateTooAndEvenly() {
        ReadBalancer<String> balancer = new ReadBalancer<>(List.of("a", "b", "c"), r -> false, String[]::new);
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            String[] order = order(balancer, balancer.eligible(r -> !r.equals("c")));
            assertThat(order).containsExactlyInAnyOrder("a", "b");
            first.merge(order[0], 1, Integer::sum);
        }
        assertThat(first).containsOnly(Map.entry("a", 100), Map.entry("b", 100));
    }

    /** The order in which the router tries the candidates: from start(n), wrapping around. */
    private static String[] order(ReadBalancer<String> balancer, String[] candidates) {
        int n = candidates.length;
        int start = balancer.start(n);
        String[] order = new String[n];
        for (int i = 0; i < n; i++) {
            order[i] = candidates[(start + i) % n];
        }
        return order;
    }

    @Test
    void aSingleCandidateDoesNotAdvanceTheRotation() {
        ReadBalancer<String> balancer = new ReadBalancer<>(List.of("a", "b"), r -> true, String[]::new);
        for (int i = 0; i < 3; i++) {
            assertThat(balancer.start(1)).isZero();
            assertThat(balancer.start(0)).isZero();
        }
        assertThat(balancer.start(2)).isZero();
        assertThat(balancer.start(2)).isEqualTo(1);
    }
}
