package io.fortress.db.migrate;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/** What the history rows say: where fortress last left the version, and each version's last recorded files. */
final class HistoryLog {
    private final boolean exists;
    private final List<HistoryEntry> rows;

    HistoryLog(boolean exists, List<HistoryEntry> rows) {
        this.exists = exists;
        this.rows = List.copyOf(rows);
    }

    boolean exists() {
        return exists;
    }

    List<HistoryEntry> rows() {
        return rows;
    }

    /** The version after the last successful event that moved it; empty when no event ever did. */
    Optional<Long> lastRecordedVersion() {
        return last(e -> e.succeeded() && e.kind().movesVersion()).map(HistoryEntry::toVersion);
    }

    /** The latest successful event recording the version's files as applied (up, adopt, external_up, repair_checksum). */
    Optional<HistoryEntry> lastApplied(long version) {
        return last(e -> e.version() == version && e.succeeded() && e.kind().recordsApplied());
    }

    /** The latest successful up, adopt or external_up of the version: when and by whom it was applied. */
    Optional<HistoryEntry> lastRun(long version) {
        return last(e -> e.version() == version && e.succeeded() && e.kind().recordsApplied()
                && e.kind() != HistoryEntry.Kind.REPAIR_CHECKSUM);
    }

    /** The latest event about the version, of any kind and status. */
    Optional<HistoryEntry> lastEvent(long version) {
        return last(e -> e.version() == version);
    }

    /** The latest row that matches. */
    private Optional<HistoryEntry> last(Predicate<HistoryEntry> matches) {
        for (int i = rows.size() - 1; i >= 0; i--) {
            if (matches.test(rows.get(i))) {
                return Optional.of(rows.get(i));
            }
        }
        return Optional.empty();
    }

    /** True when the version lies in a range a successful force moved up over (from, to]. */
    boolean forcedOver(long version) {
        return rows.stream().anyMatch(e -> e.succeeded() && e.kind() == HistoryEntry.Kind.FORCE
                && e.fromVersion() < version && version <= e.toVersion());
    }

    /** Versions whose latest applied/reverted event says applied. */
    Set<Long> appliedVersions() {
        Set<Long> applied = new TreeSet<>();
        for (HistoryEntry e : rows) {
            if (!e.succeeded()) {
                continue;
            }
            if (e.kind().recordsApplied()) {
                applied.add(e.version());
            } else if (e.kind().recordsReverted()) {
                applied.remove(e.version());
            }
        }
        return applied;
    }
}
