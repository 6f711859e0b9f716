package io.fortress.db.internal.health;

import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeState;
import io.fortress.db.internal.pool.Topology;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * While writes have nowhere to go (the primary stopped answering or became read-only, or Patroni names
 * another leader), the primary candidates are checked every {@link #PAUSE} until one takes writes,
 * for at most {@link #LIMIT}; writes fail fast meanwhile. With Patroni, once it names another leader
 * only that one is checked and its primary pool starts filling while it is promoted. Each check runs
 * on its own (single-flight per node), so a hung candidate or REST API delays none of the others.
 */
final class PrimaryHunt {
    private static final Logger LOG = LoggerFactory.getLogger("io.fortress.db.HealthChecker");
    /** How often the candidates are checked. */
    static final Duration PAUSE = Duration.ofMillis(5);
    /** Patroni is asked every this many checks (every 100 ms). */
    private static final int PATRONI_EVERY = 20;
    /** How long the hunt goes on before the regular rounds alone look. */
    private static final Duration LIMIT = Duration.ofSeconds(60);

    private final Topology topology;
    private final Slots slots;
    private final ScheduledExecutorService executor;
    private final Consumer<Slot> checkSoon;
    private final PatroniFollower patroni;
    private final Runnable followPatroni;
    private final AtomicBoolean hunting = new AtomicBoolean();

    /**
     * @param patroni       null without Patroni
     * @param followPatroni reads Patroni's view (on a thread of its own)
     */
    PrimaryHunt(Topology topology, Slots slots, ScheduledExecutorService executor, Consumer<Slot> checkSoon, PatroniFollower patroni,
                Runnable followPatroni) {
        this.topology = topology;
        this.slots = slots;
        this.executor = executor;
        this.checkSoon = checkSoon;
        this.patroni = patroni;
        this.followPatroni = followPatroni;
    }

    /** Starts the hunt unless it runs, or there is no other candidate to find. */
    void start() {
        if (slots.candidates().size() < 2 || !hunting.compareAndSet(false, true)) {
            return;
        }
        LOG.debug("looking for a primary that takes writes");
        schedule(System.nanoTime() + LIMIT.toNanos(), 0);
    }

    private void schedule(long until, int tick) {
        try {
            executor.schedule(() -> once(until, tick), PAUSE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closedAlready) {
            hunting.set(false);
        }
    }

    private void once(long until, int tick) {
        HostAndPort leader = patroni == null ? null : patroni.leader();
        try {
            if (patroni != null && tick % PATRONI_EVERY == 0) {
                executor.execute(followPatroni);
            }
            // Patroni naming another leader narrows the search to it; naming none, or still the primary
            // that takes no writes, does not
            boolean named = leader != null && !leader.equals(topology.primary().address())
                    && topology.primaryCandidates().stream().anyMatch(c -> c.address().equals(leader));
            if (named) {
                topology.primaryPool(leader); // its connections open while it is being promoted, not after
            }
            Slot primary = slots.primary();
            for (Slot slot : slots.candidates()) {
                if (!named || slot.address.equals(leader) || slot == primary) {
                    checkSoon.accept(slot);
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("looking for a primary failed: {}", e.toString());
        }
        Slot primary = slots.primary();
        boolean found = primary.health.state() == NodeState.UP && (leader == null || leader.equals(primary.address));
        if (found || System.nanoTime() > until) {
            hunting.set(false);
        } else {
            schedule(until, tick + 1);
        }
    }
}
