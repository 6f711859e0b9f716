package io.fortress.db.internal.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.db.backup.ArchiveState;
import io.fortress.db.backup.BackupException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The status page and the meters share one read of pg_stat_archiver per 10 seconds. */
class RecentArchiveStateTest {
    private final Instant start = Instant.parse("2026-12-08T00:00:00Z");
    private Instant now = start;
    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    private static ArchiveState archived(long count, Duration age) {
        return new ArchiveState(count, Optional.of("000000010000000000000003"), Optional.empty(), Optional.of(age), 0,
                Optional.empty(), false, 0);
    }

    @Test
    void readsAtMostEveryTenSecondsAndAgesTheLastArchivedFileMeanwhile() {
        AtomicInteger reads = new AtomicInteger();
        RecentArchiveState recent = new RecentArchiveState(() -> archived(reads.incrementAndGet(), Duration.ofSeconds(5)), clock);

        assertThat(recent.get().archivedCount()).isEqualTo(1);
        now = start.plusSeconds(9);
        ArchiveState later = recent.get();
        assertThat(reads).hasValue(1);
        assertThat(later.archivedCount()).isEqualTo(1);
        assertThat(later.lastArchivedAge()).contains(Duration.ofSeconds(14));

        now = start.plusSeconds(10);
        assertThat(recent.get().archivedCount()).isEqualTo(2);
        assertThat(reads).hasValue(2);
    }

    @Test
    void aFailedReadIsRethrownUntilTheNextReadIsDue() {
        AtomicInteger reads = new AtomicInteger();
        Supplier<ArchiveState> reader = () -> {
            if (reads.incrementAndGet() == 1) {
                throw new BackupException("connection to the primary refused");
            }
            return archived(7, Duration.ZERO);
        };
        RecentArchiveState recent = new RecentArchiveState(reader, clock);

        assertThatThrownBy(recent::get).isInstanceOf(BackupException.class).hasMessageContaining("refused");
        now = start.plusSeconds(3);
        assertThatThrownBy(recent::get).isInstanceOf(BackupException.class).hasMessageContaining("refused");
        assertThat(reads).hasValue(1);

        now = start.plusSeconds(10);
        assertThat(recent.get().archivedCount()).isEqualTo(7);
    }
}
