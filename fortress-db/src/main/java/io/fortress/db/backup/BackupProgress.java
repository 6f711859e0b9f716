package io.fortress.db.backup;

import io.fortress.db.internal.backup.HumanBytes;

/**
 * Where a long run stands.
 *
 * @param phase       the current stage
 * @param bytes       bytes written so far (dumps), or 0
 * @param tablesDone  tables whose data was dumped or restored so far
 * @param tablesTotal tables to go through, when known (0 otherwise)
 * @param item        what is being worked on, e.g. {@code credits.transactions}; may be empty
 */
public record BackupProgress(BackupPhase phase, long bytes, int tablesDone, int tablesTotal, String item) {

    /** e.g. {@code dumping: 3/12 tables, 1.2 MB (credits.transactions)}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(phase.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
        if (tablesTotal > 0 || tablesDone > 0) {
            sb.append(": ").append(tablesDone).append(tablesTotal > 0 ? "/" + tablesTotal : "").append(" tables");
        }
        if (bytes > 0) {
            sb.append(tablesTotal > 0 || tablesDone > 0 ? ", " : ": ").append(HumanBytes.format(bytes));
        }
        if (item != null && !item.isEmpty()) {
            sb.append(" (").append(item).append(')');
        }
        return sb.toString();
    }
}
