package io.fortress.spring;

import io.fortress.db.api.Consistency;
import io.fortress.db.api.Deadline;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Where the connections of the current thread's Spring transaction go: set by fortress's transaction
 * managers from the transaction's definition before they ask for a connection, so the decision never
 * depends on anything touching the connection first. Nested transactions (REQUIRES_NEW) stack, and a
 * suspended transaction (NOT_SUPPORTED, or REQUIRES_NEW before it begins) leaves no route: the work
 * between runs outside any transaction.
 *
 * @param readOnly    a read-only transaction: one replica for the whole transaction
 * @param consistency what that replica must guarantee
 * @param deadline    the transaction's timeout as the thread's {@link Deadline} while it runs, or null without one
 */
record FortressRoute(boolean readOnly, Consistency consistency, Deadline.Scope deadline) {
    private static final ThreadLocal<Deque<FortressRoute>> CURRENT = ThreadLocal.withInitial(ArrayDeque::new);
    /** Marks a suspended transaction: no route until it resumes. */
    private static final FortressRoute SUSPENDED = new FortressRoute(false, null, null);

    /** The route of the innermost active transaction of this thread, or null outside of one. */
    static FortressRoute current() {
        FortressRoute top = CURRENT.get().peek();
        return top == SUSPENDED ? null : top;
    }

    static void push(FortressRoute route) {
        CURRENT.get().push(route);
    }

    /** The current transaction is suspended: what runs until {@link #pop()} is outside any transaction. */
    static void suspend() {
        push(SUSPENDED);
    }

    static void pop() {
        Deque<FortressRoute> routes = CURRENT.get();
        FortressRoute ended = routes.poll();
        if (ended != null && ended.deadline() != null) {
            ended.deadline().close();
        }
        if (routes.isEmpty()) {
            CURRENT.remove();
        }
    }
}
