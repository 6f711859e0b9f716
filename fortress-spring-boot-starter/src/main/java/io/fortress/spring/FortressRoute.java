package io.fortress.spring;

import io.fortress.db.api.Consistency;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Where the connections of the current thread's Spring transaction go: set by
 * {@link FortressTransactionManager} from the transaction's definition before it asks for a
 * connection, so the decision never depends on anything touching the connection first. Nested
 * transactions (REQUIRES_NEW) stack.
 *
 * @param readOnly    a read-only transaction: one replica for the whole transaction
 * @param consistency what that replica must guarantee
 */
record FortressRoute(boolean readOnly, Consistency consistency) {
    private static final ThreadLocal<Deque<FortressRoute>> CURRENT = ThreadLocal.withInitial(ArrayDeque::new);

    /** The route of the innermost transaction of this thread, or null outside of one. */
    static FortressRoute current() {
        return CURRENT.get().peek();
    }

    static void push(FortressRoute route) {
        CURRENT.get().push(route);
    }

    static void pop() {
        Deque<FortressRoute> routes = CURRENT.get();
        routes.poll();
        if (routes.isEmpty()) {
            CURRENT.remove();
        }
    }
}
