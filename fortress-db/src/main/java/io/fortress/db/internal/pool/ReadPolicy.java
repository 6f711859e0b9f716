package io.fortress.db.internal.pool;

import io.fortress.db.api.ReplicaFallback;
import io.fortress.db.api.NodeState;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Which replicas a read may go to, in the order to try them, and why it falls back to the primary when
 * none may: a pure function of the replicas' states, lags and freshness and the read's consistency,
 * with no I/O. Round robin comes from a {@link ReadBalancer} over the replicas that are good (STREAMING).
 *
 * @param <T> a replica
 */
public final class ReadPolicy<T extends ReadTarget> {
    /**
     * The replicas to try, from {@link ReadPolicy#start(int)} on, wrapping around; when there are none, or
     * the first choice was not available, {@code reroute} says why (null when the read went where it should).
     */
    public record Plan<T>(T[] candidates, Reroute reroute) {
    }

    private final List<T> replicas;
    private final ReadBalancer<T> balancer;
    private final ReplicaFallback fallback;
    private final double maxFallbackLagSeconds;
    /** The plan of a default read when no replica is good: kept, so that such reads allocate nothing. */
    private final Plan<T> noReplica;
    /** The plan of a default read over the good replicas, made anew on every refresh: reads allocate nothing. */
    private volatile Plan<T> good;

    ReadPolicy(List<T> replicas, ReplicaFallback fallback, Duration maxFallbackLag, IntFunction<T[]> newArray) {
        this.replicas = List.copyOf(replicas);
        this.balancer = new ReadBalancer<>(this.replicas, r -> r.state().isGood(), newArray);
        this.fallback = fallback;
        this.maxFallbackLagSeconds = maxFallbackLag.toNanos() / 1e9;
        this.noReplica = new Plan<>(newArray.apply(0), Reroute.NO_REPLICA);
        this.good = new Plan<>(balancer.eligible(), null);
    }

    /** Re-reads which replicas are good; called after every state change. */
    synchronized void refresh() {
        balancer.refresh();
        good = new Plan<>(balancer.eligible(), null);
    }

    /** Where a read starts in {@code n} candidates: round robin, overflow-safe. */
    public int start(int n) {
        return balancer.start(n);
    }

    /** {@link #any(boolean)} while a primary takes writes. */
    public Plan<T> any() {
        return any(true);
    }

    /**
     * The default consistency: a good replica (within DB_MAX_REPLICA_LAG, which makes it good); with
     * none, the primary, or with DB_REPLICA_FALLBACK=least-lagged the least-lagged replica that still
     * replays within DB_MAX_FALLBACK_LAG. While no primary takes writes (a failover), the standbys that
     * still answer within DB_MAX_FALLBACK_LAG serve the read even when their WAL receiver went down with
     * the primary: nothing newer can be committed until a primary is back, so failing the read buys nothing.
     */
    public Plan<T> any(boolean primaryTakesWrites) {
        Plan<T> plan = good;
        if (plan.candidates().length > 0) {
            return plan;
        }
        if (fallback == ReplicaFallback.LEAST_LAGGED) {
            T least = leastLagged();
            if (least != null) {
                T[] one = balancer.eligible(r -> r == least);
                return new Plan<>(one, Reroute.LEAST_LAGGED);
            }
        }
        if (!primaryTakesWrites) {
            T[] standbys = balancer.eligible(r -> replaysWal(r) && withinFallbackLag(r));
            if (standbys.length > 0) {
                return new Plan<>(standbys, Reroute.NO_PRIMARY);
            }
        }
        return noReplica;
    }

    /** Bounded staleness: replicas known to hold every commit made up to {@code maxLag} before {@code nowNanos}. */
    Plan<T> boundedStaleness(Duration maxLag, long nowNanos) {
        long bound = maxLag.toNanos();
        T[] fresh = balancer.eligible(r -> replaysWal(r) && r.freshAsOfNanos() != Long.MIN_VALUE && nowNanos - r.freshAsOfNanos() <= bound);
        return new Plan<>(fresh, fresh.length == 0 ? Reroute.TOO_STALE : null);
    }

    /**
     * Read-your-writes: every replica that answers and replays WAL, whatever its lag; the caller checks
     * each on the connection it borrows and goes to the primary ({@link Reroute#TOKEN_NOT_REPLAYED})
     * when none has replayed the token in time.
     */
    Plan<T> tokens() {
        T[] standbys = balancer.eligible(ReadPolicy::replaysWal);
        return new Plan<>(standbys, standbys.length == 0 ? Reroute.TOKEN_NOT_REPLAYED : null);
    }

    /** A node that answers and replays WAL as a standby, whatever its lag. */
    private static boolean replaysWal(ReadTarget r) {
        NodeState state = r.state();
        return state.isReachable() && state != NodeState.PROMOTED;
    }

    private boolean withinFallbackLag(ReadTarget r) {
        return r.lagSeconds() != null && r.lagSeconds() <= maxFallbackLagSeconds;
    }

    private T leastLagged() {
        return replicas.stream()
                .filter(r -> replaysWal(r) && r.state() != NodeState.RECEIVER_DOWN && withinFallbackLag(r))
                .min(Comparator.comparingDouble(ReadTarget::lagSeconds))
                .orElse(null);
    }
}
