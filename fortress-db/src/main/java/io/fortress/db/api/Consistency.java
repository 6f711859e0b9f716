package io.fortress.db.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How fresh a read must be, chosen per call:
 * <ul>
 *   <li>{@link #any()} (the default): any healthy replica within the configured maximum lag;</li>
 *   <li>{@link #strong()}: the primary;</li>
 *   <li>{@link #boundedStaleness(Duration)}: a replica known to be at most that far behind;</li>
 *   <li>{@link #readYourWrites(ConsistencyToken)}: a node that has replayed past the token's write.</li>
 * </ul>
 * When no replica qualifies, the read goes to the primary.
 */
public sealed interface Consistency {

    /** Any healthy replica within DB_MAX_REPLICA_LAG; the primary when none is. */
    static Consistency any() {
        return Any.INSTANCE;
    }

    /** The primary, which always has the latest data. */
    static Consistency strong() {
        return Strong.INSTANCE;
    }

    /**
     * A replica whose lag, as last measured plus the age of that measurement, is at most {@code maxLag};
     * the primary when none is. Bounds shorter than the health check interval mostly reach the primary.
     */
    static Consistency boundedStaleness(Duration maxLag) {
        return new BoundedStaleness(maxLag);
    }

    /**
     * A node that has replayed the write the token was taken after; when no replica has within
     * DB_READ_YOUR_WRITES_WAIT, the primary. A read with a token past the primary's WAL position (no write
     * of this cluster produced it) fails at once with {@link InvalidConsistencyTokenException} instead of
     * waiting.
     */
    static Consistency readYourWrites(ConsistencyToken token) {
        return new ReadYourWrites(token);
    }

    /** Any healthy replica within the configured maximum lag. */
    enum Any implements Consistency {
        INSTANCE
    }

    /** The primary. */
    enum Strong implements Consistency {
        INSTANCE
    }

    /**
     * A replica at most {@code maxLag} behind.
     *
     * @param maxLag the largest staleness accepted
     */
    record BoundedStaleness(Duration maxLag) implements Consistency {
        public BoundedStaleness {
            Objects.requireNonNull(maxLag, "maxLag");
            if (maxLag.isNegative()) {
                throw new IllegalArgumentException("maxLag must not be negative, was " + Durations.format(maxLag));
            }
        }
    }

    /**
     * A node that has replayed past the token.
     *
     * @param token the primary's WAL position after the write to be seen
     */
    record ReadYourWrites(ConsistencyToken token) implements Consistency {
        public ReadYourWrites {
            Objects.requireNonNull(token, "token");
        }
    }
}
