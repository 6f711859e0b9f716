package io.fortress.db.backup;


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
            sb.append(tablesTotal > 0 || tablesDone > 0 ? ", " : ": ").append(humanBytes(bytes));
        }
        if (item != null && !item.isEmpty()) {
            sb.append(" (").append(item).append(')');
        }
        return sb.toString();
    }

    /** A byte count as people read it: {@code 512 B}, {@code 1.2 MiB}. */
    public static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
