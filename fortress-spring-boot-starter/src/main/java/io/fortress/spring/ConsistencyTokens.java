package io.fortress.spring;

import io.fortress.db.api.ConsistencyToken;
import java.util.function.Consumer;

/**
 * The read-your-writes token of the current request: the one the client sent, and where to put the
 * one that covers the request's own writes. Bound by {@link ConsistencyTokenFilter} for each request.
 */
final class ConsistencyTokens {
    private static final ThreadLocal<ConsistencyTokens> CURRENT = new ThreadLocal<>();

    private ConsistencyToken latest;
    private ConsistencyToken ownWrite;
    private final Consumer<ConsistencyToken> publish;

    private ConsistencyTokens(ConsistencyToken received, Consumer<ConsistencyToken> publish) {
        this.latest = received;
        this.publish = publish;
    }

    static void bind(ConsistencyToken received, Consumer<ConsistencyToken> publish) {
        CURRENT.set(new ConsistencyTokens(received, publish));
    }

    static void unbind() {
        CURRENT.remove();
    }

    /** The tokens of the current request, or null outside of one. */
    static ConsistencyTokens current() {
        return CURRENT.get();
    }

    /** The newest token of the request: what the client sent, or what its own writes committed since. */
    ConsistencyToken latest() {
        return latest;
    }

    /** The newest write this request itself committed, or null while it has committed none. */
    ConsistencyToken ownWrite() {
        return ownWrite;
    }

    /** A write of this request committed: later reads must see it, and so must the client's next request. */
    void committed(ConsistencyToken token) {
        ownWrite = ownWrite == null ? token : ownWrite.max(token);
        latest = latest == null ? token : latest.max(token);
        publish.accept(latest);
    }
}
