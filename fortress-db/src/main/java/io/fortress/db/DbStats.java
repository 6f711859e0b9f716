package io.fortress.db;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
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
public record DbStats(
        @JsonProperty("primary") Pool primary,
        @JsonProperty("replicas") List<Pool> replicas,
        @JsonProperty("metrics") Queries metrics) {

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
    public record Pool(
            @JsonProperty("open_connections") int openConnections,
            @JsonProperty("in_use") int inUse,
            @JsonProperty("idle") int idle,
            @JsonProperty("wait_count") long waitCount,
            @JsonProperty("wait_duration_ms") long waitDurationMs,
            @JsonProperty("max_idle_closed") long maxIdleClosed,
            @JsonProperty("max_lifetime_closed") long maxLifetimeClosed) {
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
    public record Queries(
            @JsonProperty("primary_queries") long primaryQueries,
            @JsonProperty("replica_queries") long replicaQueries,
            @JsonProperty("errors") long errors,
            @JsonProperty("slow_queries") long slowQueries,
            @JsonProperty("total_latency_ms") long totalLatencyMs) {
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
