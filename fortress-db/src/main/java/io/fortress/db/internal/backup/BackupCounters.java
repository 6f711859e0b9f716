package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.BackupProgress;
import io.fortress.db.backup.BackupStats;
import io.fortress.db.backup.VerificationReport;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one manager's runs did so far, whichever engine took the backups: the stats of its backup
 * runs, verifications, uploads and the last remote listing. The meters read it.
 */
public final class BackupCounters {
    private final AtomicReference<BackupStats> stats;
    private final Instant madeAt;
    private final LongAdder verificationsPassed = new LongAdder();
    private final LongAdder verificationsFailed = new LongAdder();
    private final RemoteUploads uploads = new RemoteUploads();
    private final AtomicLong remoteUnreadable = new AtomicLong(-1);

    /**
     * @param newestGood the newest good backup already in the folder, whose success counts as the last
     * @param madeAt     when the manager was made: the start of the wait for a first good backup
     */
    public BackupCounters(Optional<BackupInfo> newestGood, Instant madeAt) {
        this.stats = new AtomicReference<>(newestGood.map(BackupCounters::startingFrom).orElseGet(BackupCounters::initial));
        this.madeAt = madeAt;
    }

    public BackupStats stats() {
        return stats.get();
    }

    /** While no good backup is known: since when; empty once a backup succeeded. */
    public Optional<Instant> noBackupSince() {
        return stats().lastSuccessAt().isPresent() ? Optional.empty() : Optional.of(madeAt);
    }

    public void progressing(BackupProgress progress) {
        stats.updateAndGet(s -> new BackupStats(s.lastSuccessAt(), s.lastSuccessId(), s.lastDuration(), s.lastSizeBytes(),
                s.lastFailureAt(), s.lastFailure(), s.successes(), s.failures(), Optional.of(progress)));
    }

    public void succeeded(Instant at, String id, Duration duration, long size) {
        stats.updateAndGet(s -> new BackupStats(Optional.of(at), Optional.of(id), Optional.of(duration), size, s.lastFailureAt(),
                s.lastFailure(), s.successes() + 1, s.failures(), Optional.empty()));
    }

    public void failed(Instant at, String reason) {
        stats.updateAndGet(s -> new BackupStats(s.lastSuccessAt(), s.lastSuccessId(), s.lastDuration(), s.lastSizeBytes(),
                Optional.of(at), Optional.of(reason), s.successes(), s.failures() + 1, Optional.empty()));
    }

    /** Counts a verification's outcome and returns its report. */
    public VerificationReport counted(VerificationReport report) {
        (report.passed() ? verificationsPassed : verificationsFailed).increment();
        return report;
    }

    public long verifications(boolean passed) {
        return (passed ? verificationsPassed : verificationsFailed).sum();
    }

    public RemoteUploads uploads() {
        return uploads;
    }

    /** Records how many remote copies had an unreadable manifest at the last listing. */
    public void remoteListed(int unreadable) {
        remoteUnreadable.set(unreadable);
    }

    /** Remote copies with an unreadable manifest at the last listing; -1 before the first. */
    public long remoteUnreadable() {
        return remoteUnreadable.get();
    }

    private static BackupStats initial() {
        return new BackupStats(Optional.empty(), Optional.empty(), Optional.empty(), 0, Optional.empty(), Optional.empty(), 0, 0,
                Optional.empty());
    }

    /** The last success of a new manager whose folder already holds a good backup; no run counted yet. */
    private static BackupStats startingFrom(BackupInfo newestGood) {
        BackupManifest m = newestGood.manifest();
        Instant finished = m.source().finishedAt() == null ? newestGood.createdAt() : Instant.parse(m.source().finishedAt());
        return new BackupStats(Optional.of(finished), Optional.of(newestGood.id()), Optional.of(Duration.ofMillis(Math.max(0, m.source().durationMs()))),
                newestGood.sizeBytes(), Optional.empty(), Optional.empty(), 0, 0, Optional.empty());
    }
}
