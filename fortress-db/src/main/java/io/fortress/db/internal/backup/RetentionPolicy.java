package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupStatus;
import io.fortress.db.backup.RemoteLocation;
import io.fortress.db.backup.RetentionPlan;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides which backups cleanup deletes, from manifest times only (never file names or
 * modification times). A good (completed or verified) backup is kept when any rule keeps it:
 * pinned; among the newest {@code minKeep}; the newest verified one; younger than
 * {@code retentionDays}; or the newest of one of the last {@code keepDaily} days,
 * {@code keepWeekly} ISO weeks or {@code keepMonthly} months (UTC) that have a backup. Pinned always
 * wins, whatever the status; a corrupt backup counts for none of the other rules and goes once it is
 * older than {@code retentionDays}.
 */
public final class RetentionPolicy {
    private final int retentionDays;
    private final int minKeep;
    private final int keepDaily;
    private final int keepWeekly;
    private final int keepMonthly;
    /** The remote repository whose copies a local backup must have before it may go; null without one. */
    private final String remoteLocation;
    private final String daysSetting;
    private final String minKeepSetting;

    private RetentionPolicy(int retentionDays, int minKeep, int keepDaily, int keepWeekly, int keepMonthly, String remoteLocation,
                            String daysSetting, String minKeepSetting) {
        this.retentionDays = retentionDays;
        this.minKeep = minKeep;
        this.keepDaily = keepDaily;
        this.keepWeekly = keepWeekly;
        this.keepMonthly = keepMonthly;
        this.remoteLocation = remoteLocation;
        this.daysSetting = daysSetting;
        this.minKeepSetting = minKeepSetting;
    }

    /** The policy of the backup folder; with a remote repository, a good backup not yet copied there is kept too. */
    public RetentionPolicy(BackupConfig config) {
        this(config.retentionDays(), config.minKeep(), config.keepDaily(), config.keepWeekly(), config.keepMonthly(),
                config.remote().map(RemoteLocation::toString).orElse(null), "retentionDays", "minKeep");
    }

    /** The policy of the remote copies: their own age limit and minimum count. */
    public static RetentionPolicy remote(BackupConfig config) {
        return new RetentionPolicy(config.remoteRetentionDays(), config.remoteMinKeep(), 0, 0, 0, null, "remoteRetentionDays",
                "remoteMinKeep");
    }

    public RetentionPlan plan(String database, List<BackupInfo> backups, Instant now, boolean dryRun) {
        List<BackupInfo> ordered = new ArrayList<>(backups);
        ordered.sort(Comparator.comparing(BackupInfo::createdAt).thenComparing(BackupInfo::id).reversed());
        Map<BackupInfo, List<String>> keep = new LinkedHashMap<>();
        ordered.forEach(b -> keep.put(b, new ArrayList<>()));
        List<BackupInfo> good = ordered.stream().filter(b -> b.status().isGood()).toList();
        Instant cutoff = now.minus(Duration.ofDays(retentionDays));

        for (int i = 0; i < good.size() && i < minKeep; i++) {
            keep.get(good.get(i)).add("one of the newest " + minKeep + " good backups (" + minKeepSetting + ")");
        }
        good.stream().filter(b -> b.status() == BackupStatus.VERIFIED).findFirst()
                .ifPresent(b -> keep.get(b).add("the newest verified backup"));
        periods(good, keepDaily, b -> LocalDate.ofInstant(b.createdAt(), ZoneOffset.UTC).toString(), "day", "keepDaily", keep);
        periods(good, keepWeekly, b -> {
            LocalDate d = LocalDate.ofInstant(b.createdAt(), ZoneOffset.UTC);
            return d.get(IsoFields.WEEK_BASED_YEAR) + "-W" + String.format("%02d", d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
        }, "week", "keepWeekly", keep);
        periods(good, keepMonthly, b -> YearMonth.from(b.createdAt().atZone(ZoneOffset.UTC)).toString(), "month", "keepMonthly", keep);

        List<RetentionPlan.Decision> decisions = new ArrayList<>();
        for (BackupInfo b : ordered) {
            List<String> reasons = keep.get(b);
            if (b.pinned()) {
                reasons.add(0, "pinned");
            }
            if (remoteLocation != null && b.status().isGood() && !b.manifest().uploadedTo(remoteLocation)) {
                reasons.add("not yet copied to BACKUP_REMOTE");
            }
            boolean young = retentionDays == 0 || b.createdAt().isAfter(cutoff);
            if (young) {
                reasons.add(retentionDays == 0 ? daysSetting + " is 0: no age limit"
                        : "younger than " + retentionDays + " days (" + daysSetting + ")" + (b.status().isGood() ? "" : "; corrupt, kept for inspection"));
            }
            if (reasons.isEmpty()) {
                String age = "older than " + retentionDays + " days (" + daysSetting + ")";
                decisions.add(new RetentionPlan.Decision(b, true, List.of(b.status().isGood()
                        ? age + " and kept by no other rule" : "corrupt and " + age)));
            } else {
                decisions.add(new RetentionPlan.Decision(b, false, List.copyOf(reasons)));
            }
        }
        return new RetentionPlan(database, now, List.copyOf(decisions), dryRun);
    }

    /** Keeps the newest backup of each of the last {@code count} periods that have one. */
    private static void periods(List<BackupInfo> good, int count, Function<BackupInfo, String> period, String unit, String setting,
                                Map<BackupInfo, List<String>> keep) {
        if (count == 0) {
            return;
        }
        Set<String> seen = new HashSet<>();
        for (BackupInfo b : good) {
            String p = period.apply(b);
            if (seen.size() == count && !seen.contains(p)) {
                break;
            }
            if (seen.add(p)) {
                keep.get(b).add("newest of " + unit + " " + p + " (" + setting + "=" + count + ")");
            }
        }
    }
}
