package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.Deadline;
import io.fortress.db.api.DeadlineExceededException;
import io.fortress.db.api.RowMapper;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Deadlines on a real cluster: a read stuck on a frozen replica fails at its deadline plus the margin, a statement that
 * outlives its deadline is cancelled on the server, a transaction past its deadline is rolled back, an expired deadline
 * sends nothing. Bounds are generous (2 busy cores); the freeze is longer than any of them.
 */
class DeadlineTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(2);
    /** The slowest a call with a 400 ms deadline may take, generous for a loaded machine; the freeze lasts twice as long. */
    private static final Duration SLOWEST = Duration.ofMillis(2000);
    private static final Duration FREEZE = Duration.ofSeconds(4);

    @Test
    void readsStuckOnAFrozenReplicaFailAtTheirDeadlineWithItsException() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        // a slow health checker: the frozen replica stays in rotation throughout, so only the deadline frees the readers
        try (Database db = Database.open(TestDatabases.config(cluster).healthInterval(Duration.ofSeconds(10))
                .healthTimeout(Duration.ofSeconds(10)).build())) {
            Node victim = cluster.replica(1);
            long frozenAt;
            long thawedAt;
            Load readers = new Load(4, () -> Deadline.after(Duration.ofMillis(400)).call(
                    () -> db.queryOne("SELECT 1", RowMapper.firstLong())));
            try (readers) {
                Thread.sleep(1000);
                frozenAt = System.nanoTime();
                victim.freeze();
                try {
                    Thread.sleep(FREEZE.toMillis());
                } finally {
                    thawedAt = System.nanoTime();
                    victim.thaw();
                }
                long back = System.nanoTime();
                await().atMost(Duration.ofSeconds(20)).until(() -> readers.completedAfter(back) > 50);
            }
            List<Load.Call> calls = readers.callsDuring(frozenAt, thawedAt);
            assertThat(Load.failures(calls)).as("reads that failed while a replica was frozen").isNotEmpty()
                    .allSatisfy(f -> assertThat(f).isInstanceOf(DeadlineExceededException.class));
            assertThat(Load.longest(calls)).as("the longest read while a replica was frozen for " + FREEZE).isLessThan(SLOWEST);
            assertThat(readers.completedAfter(frozenAt) - readers.completedAfter(thawedAt)).as("reads served by the live replica meanwhile")
                    .isPositive();
        }
    }

    @Test
    void aStatementThatOutlivesItsDeadlineIsCancelledOnTheServer() {
        LocalCluster cluster = CLUSTER.cluster();
        try (Database db = Database.open(TestDatabases.config(cluster).build())) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(300)).call(
                    () -> db.queryOne(Consistency.strong(), "SELECT 'slept' FROM pg_sleep(5)", RowMapper.firstString())))
                    .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("deadline of 300ms passed on primary")
                    .satisfies(e -> assertThat(((DeadlineExceededException) e).sqlState()).isEqualTo("57014"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SLOWEST);
            await().atMost(Duration.ofSeconds(2)).until(() -> cluster.primary().queryValue(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()")
                    .equals("0"));
        }
    }

    @Test
    void aTransactionPastItsDeadlineIsRolledBackAndAnExpiredOneSendsNothing() {
        LocalCluster cluster = CLUSTER.cluster();
        try (Database db = Database.open(TestDatabases.config(cluster).build())) {
            db.exec("CREATE TABLE IF NOT EXISTS deadline_rows(id int)");
            // a statement inside runs out of time
            assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(500)).run(() -> db.useTransaction(tx -> {
                tx.exec("INSERT INTO deadline_rows VALUES (1)");
                tx.exec("SELECT pg_sleep(3)");
            }))).isInstanceOf(DeadlineExceededException.class);
            // the callback itself takes too long: no COMMIT after the deadline
            assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(300)).run(() -> db.useTransaction(tx -> {
                tx.exec("INSERT INTO deadline_rows VALUES (2)");
                Thread.sleep(600);
            }))).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("the transaction was rolled back");
            // nothing is sent once the deadline passed
            assertThatThrownBy(() -> Deadline.after(Duration.ZERO).call(() -> db.exec("INSERT INTO deadline_rows VALUES (3)")))
                    .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("passed before");
            assertThat(db.queryOne(Consistency.strong(), "SELECT count(*) FROM deadline_rows", RowMapper.firstLong())).contains(0L);
            // and in time, everything works as without one
            long inserted = Deadline.after(Duration.ofSeconds(30)).call(() -> db.exec("INSERT INTO deadline_rows VALUES (4)"));
            assertThat(inserted).isEqualTo(1);
        }
    }

    @Test
    void deadlinesNestAndTheEarlierOneWins() {
        assertThat(Deadline.current()).isEmpty();
        Duration inner = Deadline.after(Duration.ofMillis(100)).call(
                () -> Deadline.after(Duration.ofMinutes(10)).call(() -> Deadline.current().orElseThrow().timeout()));
        assertThat(inner).as("a later deadline inside does not extend the earlier one").isEqualTo(Duration.ofMillis(100));
        Duration shorter = Deadline.after(Duration.ofMinutes(10)).call(
                () -> Deadline.after(Duration.ofMillis(100)).call(() -> Deadline.current().orElseThrow().timeout()));
        assertThat(shorter).isEqualTo(Duration.ofMillis(100));
        assertThat(Deadline.current()).as("gone once the work returned").isEmpty();
        assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("zero or positive");
    }
}
