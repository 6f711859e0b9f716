package io.fortress.db.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a point-in-time restore drill found ({@link PointInTime#drill()}).
 *
 * @param passed       the repository verified, the restored server started and every compared table had the primary's count
 * @param started      when the drill began
 * @param restoreTime  from the start of the restore until the restored server took writes: the recovery time objective measured
 * @param restoredUpTo the commit time of the last transaction the restored server replayed
 * @param bytesBehind  WAL the primary had written, when the drill pushed its WAL into the archive, beyond what the restored
 *                     server replayed: what a restore at that moment would have lost (0 when the archive held it all)
 * @param compared     tables whose row counts were compared with the primary's
 * @param written      tables written during the drill, whose counts could not be compared
 * @param problems     what failed: pgBackRest's lines naming each bad file or WAL segment, tables missing or miscounted
 */
public record RestoreDrillReport(boolean passed, Instant started, Duration restoreTime, Optional<Instant> restoredUpTo, long bytesBehind,
                                 int compared, List<String> written, List<String> problems) {
    /** Copies the lists. */
    public RestoreDrillReport {
        written = List.copyOf(written);
        problems = List.copyOf(problems);
    }
}
