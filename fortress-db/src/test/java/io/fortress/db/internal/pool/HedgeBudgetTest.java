package io.fortress.db.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The hedging budget: at most its share of the reads of the last ten one-second slots. */
class HedgeBudgetTest {
    @Test
    void grantsAtMostItsShareOfTheReadsStarted() {
        HedgeBudget budget = new HedgeBudget(0.05);
        assertThat(budget.tryAcquire(19)).as("5 % of 19 reads is less than one hedge").isFalse();
        assertThat(budget.tryAcquire(20)).isTrue();
        assertThat(budget.tryAcquire(20)).as("the one hedge of 20 reads is taken").isFalse();
        int granted = 0;
        for (int i = 0; i < 1000; i++) {
            granted += budget.tryAcquire(1000) ? 1 : 0;
        }
        assertThat(granted + 1).as("hedges of 1000 reads, the first one included").isEqualTo(50);
    }

    @Test
    void readsOlderThanTenSecondsNoLongerCount() {
        HedgeBudget budget = new HedgeBudget(0.1);
        long reads = 1000;
        while (budget.tryAcquire(reads)) {
            // use up the first second's budget
        }
        for (int second = 1; second < HedgeBudget.SLOTS; second++) {
            budget.rotate(reads);
            assertThat(budget.tryAcquire(reads)).as("no new reads in second %d", second).isFalse();
        }
        budget.rotate(reads); // the first second's reads and hedges leave the window
        assertThat(budget.tryAcquire(reads + 9)).as("0.9 hedges of 9 new reads").isFalse();
        assertThat(budget.tryAcquire(reads + 10)).isTrue();
    }
}
