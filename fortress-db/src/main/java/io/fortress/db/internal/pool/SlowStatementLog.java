package io.fortress.db.internal.pool;

import io.fortress.db.api.DbConfig;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of statements that took DB_SLOW_QUERY_THRESHOLD or longer, their parameters redacted unless
 * DB_LOG_QUERY_PARAMETERS says otherwise (parameters may hold secrets).
 */
final class SlowStatementLog {
    private static final Logger SLOW = LoggerFactory.getLogger("io.fortress.db.SlowQuery");

    private final long thresholdNanos;
    private final boolean logParameters;

    SlowStatementLog(DbConfig config) {
        this.thresholdNanos = config.slowQueryThreshold().toNanos();
        this.logParameters = config.logQueryParameters();
    }

    /** True when a statement that took this long is slow; never when the threshold is 0 (off). */
    boolean isSlow(long nanos) {
        return thresholdNanos > 0 && nanos >= thresholdNanos;
    }

    void log(NodePool node, String sql, Object[] params, long nanos, boolean failed) {
        SLOW.warn("slow statement on {}: {} ms{}: {} [{}]", node.name(), nanos / 1_000_000, failed ? " (failed)" : "",
                sql, describeParameters(params));
    }

    private String describeParameters(Object[] params) {
        if (params == null || params.length == 0) {
            return "no parameters";
        }
        if (logParameters) {
            return "parameters " + Arrays.deepToString(params);
        }
        return params.length + " parameter" + (params.length == 1 ? "" : "s") + " of type "
                + Arrays.stream(params).map(p -> p == null ? "null" : p.getClass().getSimpleName()).collect(Collectors.joining(", "))
                + ", values redacted";
    }
}
