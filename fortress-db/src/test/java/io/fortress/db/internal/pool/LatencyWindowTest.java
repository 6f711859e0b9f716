package io.fortress.db.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A node's recent latency: the 99th percentile of the last window, within a bucket's 12.5 %, never under it. */
class LatencyWindowTest {
    @Test
    void bucketsCoverEveryDurationInOrderAndTheirEdgesHoldThem() {
        int previous = -1;
        for (long nanos = 0; nanos < TimeUnit.SECONDS.toNanos(100); nanos = nanos * 9 / 8 + 100) {
            int bucket = LatencyWindow.bucket(nanos);
            assertThat(bucket).isGreaterThanOrEqualTo(previous);
            previous = bucket;
            if (nanos < TimeUnit.SECONDS.toNanos(60)) {
                assertThat(LatencyWindow.upperEdgeNanos(bucket)).as("edge of %d ns", nanos).isGreaterThan(nanos)
                        .isLessThanOrEqualTo(Math.max(nanos * 5 / 4, nanos + 2048));
            }
        }
    }

    @Test
    void theEstimateIsTheLastFullWindowsNinetyNinthPercentile() {
        LatencyWindow window = new LatencyWindow();
        assertThat(window.percentileNanos()).as("nothing known yet").isEqualTo(-1);
        for (int i = 0; i < 990; i++) {
            window.record(TimeUnit.MILLISECONDS.toNanos(1));
        }
        for (int i = 0; i < 10; i++) {
            window.record(TimeUnit.MILLISECONDS.toNanos(50));
        }
        window.rotate();
        assertThat(window.percentileNanos()).isBetween(TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(1300));
        for (int i = 0; i < 100; i++) {
            window.record(TimeUnit.MILLISECONDS.toNanos(40));
        }
        window.rotate();
        assertThat(window.percentileNanos()).isBetween(TimeUnit.MILLISECONDS.toNanos(40), TimeUnit.MILLISECONDS.toNanos(46));
        for (int i = 0; i < LatencyWindow.MIN_SAMPLES - 1; i++) {
            window.record(TimeUnit.SECONDS.toNanos(1));
        }
        window.rotate();
        assertThat(window.percentileNanos()).as("too few statements to say anything: the last estimate stays")
                .isBetween(TimeUnit.MILLISECONDS.toNanos(40), TimeUnit.MILLISECONDS.toNanos(46));
    }
}
