package io.fortress.db.migrate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * What the history rows say: where fortress last left the version, which versions are applied and
 * which event made each one so (fortress's up, an adoption, another tool, or a force), and who left a
 * version dirty.
 */
final class HistoryLog {
    private final boolean exists;
    private final List<HistoryEntry> rows;
    /** Per applied version, the event that applied it: its run record (who, when, how). */
    private final Map<Long, HistoryEntry> runs = new HashMap<>();
    /** Per applied version, the event whose checksums are the applied files' (a repair_checksum replaces the run's). */
    private final Map<Long, HistoryEntry> files = new HashMap<>();

    HistoryLog(boolean exists, List<HistoryEntry> rows) {
        this.exists = exists;
        this.rows = List.copyOf(rows);
        for (HistoryEntry e : this.rows) {
            if (!e.succeeded()) {
                continue;
            }
            long v = e.version();
            switch (e.kind()) {
                case UP, ADOPT, EXTERNAL_UP -> {
                    runs.put(v, e);
                    files.put(v, e);
                }
                case REPAIR_CHECKSUM -> {
                    files.put(v, e);
                    runs.putIfAbsent(v, e); // older histories used it to record versions applied by hand
                }
                case FORCE -> {
                    // force(T) says the schema is what T made: T is applied, by this force unless something applied it before
                    if (v >= 0 && !files.containsKey(v)) {
                        runs.put(v, e);
                        files.put(v, e);
                    }
                }
                case DOWN, EXTERNAL_DOWN -> {
                    runs.remove(v);
                    files.remove(v);
                }
            }
        }
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

    /** The event whose checksums are the version's applied files; empty when the history does not record it as applied. */
    Optional<HistoryEntry> lastApplied(long version) {
        return Optional.ofNullable(files.get(version));
    }

    /** The event that applied the version (up, adopt, external_up or force): when, how and by which tool. */
    Optional<HistoryEntry> lastRun(long version) {
        return Optional.ofNullable(runs.get(version));
    }

    /** The latest event about the version, of any kind and status. */
    Optional<HistoryEntry> lastEvent(long version) {
        return last(e -> e.version() == version);
    }

    /**
     * The row that explains why the version is dirty at {@code version}: the last row, when it is a
     * migration outside a transaction that fortress started and did not finish, or another tool's failure
     * recorded by an earlier run; empty when nothing recorded explains it.
     */
    Optional<HistoryEntry> dirtyCause(long version) {
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        HistoryEntry e = rows.get(rows.size() - 1);
        return e.succeeded() || e.toVersion() != version || !(e.kind().isExternal() || e.transactionMode() == TransactionMode.NONE)
                ? Optional.empty() : Optional.of(e);
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

    /**
     * The latest successful force that moved up over the version: it lies in (from, to], or the force
     * repaired the version itself while it was dirty at {@code from} (to &gt;= from).
     */
    Optional<HistoryEntry> forceOver(long version) {
        HistoryEntry dirty = null;
        HistoryEntry found = null;
        for (HistoryEntry e : rows) {
            if (e.succeeded() && e.kind() == HistoryEntry.Kind.FORCE && (e.fromVersion() < version && version <= e.toVersion()
                    || dirty != null && dirty.toVersion() == e.fromVersion() && version == e.fromVersion() && e.toVersion() >= version)) {
                found = e;
            }
            if (!e.succeeded() && (e.kind().isExternal() || e.transactionMode() == TransactionMode.NONE)) {
                dirty = e;
            } else if (e.succeeded()) {
                dirty = null;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Versions the history records as applied now (not rolled back since). */
    Set<Long> appliedVersions() {
        return new TreeSet<>(files.keySet());
    }
}
