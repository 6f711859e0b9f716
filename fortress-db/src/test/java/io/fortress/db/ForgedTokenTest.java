package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.InvalidConsistencyTokenException;
import io.fortress.db.api.RowMapper;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 23 §4: a read-your-writes token naming a WAL position past the primary's is refused at once, not waited for on
 * every replica; honest readers keep their pace while forged tokens keep coming.
 */
class ForgedTokenTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(2);
    /** Long, so that a forged token that were waited for would show: each such read would take this long. */
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ConsistencyToken FORGED = ConsistencyToken.parse("FFFFFFFF/FFFFFFFF");
    private static final AtomicLong IDS = new AtomicLong();

    @BeforeAll
    static void table() {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE IF NOT EXISTS forged_token_honest(id bigint PRIMARY KEY)");
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    private static DbConfig config() {
        return TestDatabases.config(CLUSTER.cluster()).readYourWritesWait(WAIT).build();
    }

    @Test
    void aTokenPastThePrimaryIsRefusedAtOnceAndHonestTokensStillRead() {
        try (Database db = Database.open(config()); Database otherInstance = Database.open(config())) {
            long start = System.nanoTime();
            Throwable refused = catchThrowable(() -> db.queryOne(Consistency.readYourWrites(FORGED), "SELECT 1", RowMapper.firstLong()));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(refused).isInstanceOf(InvalidConsistencyTokenException.class)
                    .hasMessageContaining("consistency token FFFFFFFF/FFFFFFFF names a WAL position past the primary's current one")
                    .hasMessageContaining("Database.consistencyToken()");
            assertThat(((InvalidConsistencyTokenException) refused).token()).isEqualTo(FORGED);
            assertThat(took).as("refused, not waited for (the wait is %s)", WAIT).isLessThan(WAIT.dividedBy(3));

            // just past the primary: as forged as the maximum, and a transaction is refused the same way
            ConsistencyToken now = db.consistencyToken();
            ConsistencyToken ahead = new ConsistencyToken(now.lsn() + 16 * 1024 * 1024);
            assertThat(catchThrowable(() -> db.inReadOnlyTransaction(Consistency.readYourWrites(ahead), tx -> 1)))
                    .isInstanceOf(InvalidConsistencyTokenException.class);

            // a token handed out by another instance of the service, never seen by this one, reads as before
            long id = IDS.incrementAndGet();
            otherInstance.exec("INSERT INTO forged_token_honest VALUES (?)", id);
            ConsistencyToken carried = ConsistencyToken.parse(otherInstance.consistencyToken().toString());
            assertThat(db.queryOne(Consistency.readYourWrites(carried), "SELECT id FROM forged_token_honest WHERE id = ?",
                    RowMapper.firstLong(), id)).contains(id);
        }
    }

    @Test
    void honestReadersKeepTheirPaceWhileForgedTokensKeepComing() throws Exception {
        try (Database db = Database.open(config())) {
            Duration period = Duration.ofSeconds(5);
            // the snapshots are taken once the load stopped: every call finished, none left out
            Load honestAlone = new Load(4, () -> honestWriteThenRead(db));
            try (honestAlone) {
                Thread.sleep(period.toMillis());
            }
            List<Load.Call> alone = honestAlone.calls();
            // the attackers share the honest readers' database, as web requests of one service do
            Load attack = new Load(8, () -> forgedRead(db));
            Load honest = new Load(4, () -> honestWriteThenRead(db));
            try (attack; honest) {
                Thread.sleep(period.toMillis());
            }
            List<Load.Call> attacked = honest.calls();
            List<Load.Call> forged = attack.calls();
            String figures = "alone: " + alone.size() + " honest write+read pairs, slowest " + Load.longest(alone).toMillis()
                    + " ms; under attack: " + attacked.size() + ", slowest " + Load.longest(attacked).toMillis() + " ms, beside "
                    + forged.size() + " forged reads, slowest " + Load.longest(forged).toMillis() + " ms";
            System.out.println(figures);
            assertThat(Load.failures(alone)).as(figures).isEmpty();
            assertThat(Load.failures(attacked)).as(figures).isEmpty();
            assertThat(forged).as(figures).isNotEmpty()
                    .allSatisfy(c -> assertThat(c.failure()).isInstanceOf(InvalidConsistencyTokenException.class));
            // generous: the attackers share two cores with everything else, so some slowing is CPU, not waiting
            assertThat(attacked.size()).as(figures).isGreaterThan(alone.size() / 4);
            assertThat(Load.longest(attacked)).as(figures).isLessThan(WAIT.dividedBy(3));
            assertThat(Load.longest(forged)).as("no forged read was waited for: " + figures).isLessThan(WAIT.dividedBy(3));
        }
    }

    private static Object honestWriteThenRead(Database db) {
        long id = IDS.incrementAndGet();
        db.exec("INSERT INTO forged_token_honest VALUES (?)", id);
        ConsistencyToken token = ConsistencyToken.parse(db.consistencyToken().toString()); // as carried in a header
        Optional<Long> seen = db.queryOne(Consistency.readYourWrites(token), "SELECT id FROM forged_token_honest WHERE id = ?",
                RowMapper.firstLong(), id);
        if (seen.isEmpty()) {
            throw new AssertionError("write " + id + " not seen with its token");
        }
        return seen;
    }

    private static Object forgedRead(Database db) throws InterruptedException {
        Thread.sleep(5); // a steady stream of forged requests, not a CPU-bound loop: what is measured is the cost of each
        return db.queryOne(Consistency.readYourWrites(FORGED), "SELECT 1", RowMapper.firstLong());
    }
}
