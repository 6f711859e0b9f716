package io.fortress.db.api;

import io.fortress.db.internal.Lsn;

/**
 * The primary's WAL position after a write: a read with {@link Consistency#readYourWrites} is served
 * only by a node that has replayed at least this far, so it sees that write. Tokens are short strings
 * ({@link #toString()}, e.g. {@code 0/3000060}) that a service can carry across requests, in a header
 * or a message, and read back with {@link #parse(String)}.
 *
 * @param lsn the WAL position
 */
public record ConsistencyToken(long lsn) {

    /**
     * Reads a token written by {@link #toString()}.
     *
     * @throws IllegalArgumentException when the text is not a token
     */
    public static ConsistencyToken parse(String text) {
        return new ConsistencyToken(Lsn.parse(text == null ? null : text.strip()));
    }

    /** True when this token is at or past {@code lsn}. */
    public boolean isReachedBy(long replayedLsn) {
        return Long.compareUnsigned(replayedLsn, lsn) >= 0;
    }

    /** The later of two tokens, for a service that merges the tokens of several writes. */
    public ConsistencyToken max(ConsistencyToken other) {
        return Long.compareUnsigned(lsn, other.lsn) >= 0 ? this : other;
    }

    @Override
    public String toString() {
        return Lsn.format(lsn);
    }
}
