package io.fortress.db.internal.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.BackupStatus;
import io.fortress.db.backup.RetentionPlan;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The retention decisions on their own, over manifests as backups record them. */
class RetentionPolicyTest {
    private static final Instant NOW = Instant.parse("2026-01-04T12:00:00Z");

    private static BackupInfo backup(String id, String startedAt, BackupStatus status, boolean pinned) {
        BackupManifest m = new BackupManifest(1, id, "fortress",
                new BackupManifest.Contents("custom", "gzip", true, true, true, 1, List.of(), List.of()),
                new BackupManifest.Source(startedAt, startedAt, 1, "127.0.0.1", 5432, "15.18", 1500, "15.18", "/usr/bin/pg_dump", "test"),
                new BackupManifest.FileSet(id + ".dump", null, 1, List.of()),
                new BackupManifest.Lifecycle(status, pinned, status == BackupStatus.VERIFIED ? startedAt : null, null, null, null, null));
        return new BackupInfo(Path.of(id + ".dump"), Path.of(id + ".manifest.json"), m);
    }

    private static BackupInfo good(String id, String startedAt) {
        return backup(id, startedAt, BackupStatus.COMPLETED, false);
    }

    private static List<String> deleted(BackupConfig.Builder config, List<BackupInfo> backups) {
        return new RetentionPolicy(config.build()).plan("fortress", backups, NOW, true).deleted().stream().map(BackupInfo::id).toList();
    }

    @Test
    void fewerBackupsThanMinKeepAreAllKeptHoweverOld() {
        List<BackupInfo> backups = List.of(good("a", "2020-01-01T00:00:00Z"), good("b", "2020-01-02T00:00:00Z"));
        assertThat(deleted(BackupConfig.builder().retentionDays(7).minKeep(3), backups)).isEmpty();
    }

    @Test
    void whenAllAreOlderThanTheWindowTheNewestMinKeepSurvive() {
        List<BackupInfo> backups = new ArrayList<>();
        for (int d = 1; d <= 9; d++) {
            backups.add(good("b" + d, "2025-11-0" + d + "T00:00:00Z"));
        }
        RetentionPlan plan = new RetentionPolicy(BackupConfig.builder().retentionDays(7).minKeep(2).build()).plan("fortress", backups, NOW, true);
        assertThat(plan.kept()).extracting(BackupInfo::id).containsExactly("b9", "b8");
        assertThat(plan.decisions().get(0).reasons()).containsExactly("one of the newest 2 good backups (minKeep)");
        assertThat(plan.decisions().get(8).reasons()).containsExactly("older than 7 days (retentionDays) and kept by no other rule");
    }

    @Test
    void corruptBackupsDoNotCountAndGoByAgePinnedOnesStayAndTheNewestVerifiedStays() {
        List<BackupInfo> backups = List.of(
                backup("corrupt-new", "2026-01-04T00:00:00Z", BackupStatus.CORRUPT, false),
                backup("corrupt-old", "2025-12-01T00:00:00Z", BackupStatus.CORRUPT, false),
                good("good-1", "2025-12-03T00:00:00Z"),
                backup("verified", "2025-12-02T00:00:00Z", BackupStatus.VERIFIED, false),
                good("good-3", "2025-11-30T00:00:00Z"),
                backup("pinned", "2024-01-01T00:00:00Z", BackupStatus.COMPLETED, true),
                backup("pinned-corrupt", "2024-01-01T00:00:00Z", BackupStatus.CORRUPT, true));
        // minKeep 1 keeps good-1 (the corrupt ones do not count); the newest verified is kept too; pinned always wins.
        assertThat(deleted(BackupConfig.builder().retentionDays(7).minKeep(1), backups)).containsExactly("corrupt-old", "good-3");
    }

    @Test
    void identicalAndFutureTimestampsAreOrderedByIdAndCountAsYoung() {
        List<BackupInfo> backups = List.of(good("x_1", "2025-01-01T00:00:00Z"), good("x", "2025-01-01T00:00:00Z"),
                good("future", "2027-01-01T00:00:00Z"));
        assertThat(deleted(BackupConfig.builder().retentionDays(7).minKeep(2), backups)).containsExactly("x");
    }

    @Test
    void dailyWeeklyAndMonthlyKeepTheNewestOfEachPeriodAcrossTheYearBoundary() {
        List<BackupInfo> backups = new ArrayList<>();
        // Two backups a day from 2025-11-20 to 2026-01-04; ISO week 2026-W01 starts on Monday 2025-12-29.
        for (Instant t = Instant.parse("2025-11-20T03:00:00Z"); !t.isAfter(NOW); t = t.plusSeconds(12 * 3600)) {
            backups.add(good("b-" + t, t.toString()));
        }
        RetentionPlan plan = new RetentionPolicy(BackupConfig.builder().retentionDays(1).minKeep(1).keepDaily(3).keepWeekly(2)
                .keepMonthly(3).build()).plan("fortress", backups, NOW, true);
        assertThat(plan.kept()).extracting(b -> b.createdAt().toString()).containsExactly(
                "2026-01-04T03:00:00Z", // newest: minKeep, day 2026-01-04, week 2026-W01, month 2026-01 (and younger than a day)
                "2026-01-03T15:00:00Z", // younger than a day; newest of day 2026-01-03
                "2026-01-02T15:00:00Z", // newest of day 2026-01-02
                "2025-12-31T15:00:00Z", // newest of month 2025-12
                "2025-12-28T15:00:00Z", // newest of week 2025-W52
                "2025-11-30T15:00:00Z") // newest of month 2025-11
                .doesNotHaveDuplicates();
        assertThat(plan.decisions().stream().filter(d -> d.id().equals("b-2025-12-28T15:00:00Z")).findFirst().orElseThrow().reasons())
                .containsExactly("newest of week 2025-W52 (keepWeekly=2)");
    }
}
