package io.fortress.db;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/**
 * A snapshot of pool and query statistics in the GetStats shape of the Go layer fortress replaces;
 * {@link #toJson()} gives exactly its keys. Every number counts real events since the Database was opened (pool
 * gauges are the state at the time of the snapshot).
 *
 * @param primary  the primary's pool
 * @param replicas each replica's pool, in configuration order
 * @param metrics  statement totals over all nodes
 */
@JsonPropertyOrder({"primary", "replicas", "metrics"})
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DbStats(
        Pool primary,
        List<Pool> replicas,
        Queries metrics) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One node's pool.
     *
     * @param openConnections   connections open (in use + idle)
     * @param inUse             connections borrowed
     * @param idle              connections idle in the pool
     * @param waitCount         borrows that waited 1 ms or more for a connection to be returned or created
     * @param waitDurationMs    total time those borrows waited
     * @param maxIdleClosed     connections closed for idling past connMaxIdleTime beyond maxIdleConns
     * @param maxLifetimeClosed connections closed for reaching connMaxLifetime
     */
    @JsonPropertyOrder({"open_connections", "in_use", "idle", "wait_count", "wait_duration_ms", "max_idle_closed", "max_lifetime_closed"})
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Pool(
            int openConnections,
            int inUse,
            int idle,
            long waitCount,
            long waitDurationMs,
            long maxIdleClosed,
            long maxLifetimeClosed) {
    }

    /**
     * Statement totals.
     *
     * @param primaryQueries statements run on the primary
     * @param replicaQueries statements run on replicas
     * @param errors         statements that failed (on any node)
     * @param slowQueries    statements at or over slowQueryThreshold
     * @param totalLatencyMs total time of all statements
     */
    @JsonPropertyOrder({"primary_queries", "replica_queries", "errors", "slow_queries", "total_latency_ms"})
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Queries(
            long primaryQueries,
            long replicaQueries,
            long errors,
            long slowQueries,
            long totalLatencyMs) {
    }

    /** The stats JSON: {@code {"primary": {...}, "replicas": [...], "metrics": {...}}}. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stats cannot be written as JSON", e);
        }
    }
}
