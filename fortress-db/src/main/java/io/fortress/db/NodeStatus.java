package io.fortress.db;

import java.time.Instant;

/**
 * A node as the router sees it now.
 *
 * @param name    {@code primary}, {@code replica-1}, ... (replicas numbered in configuration order)
 * @param role    what the node is for
 * @param address host and port
 * @param up      whether statements are routed to it
 * @param reason  why it is down (the last connection error), or {@code reachable}
 * @param since   when it last went up or down
 */
public record NodeStatus(String name, NodeRole role, HostAndPort address, boolean up, String reason, Instant since) {
}
