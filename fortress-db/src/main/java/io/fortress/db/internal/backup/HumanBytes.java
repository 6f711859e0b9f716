package io.fortress.db.internal.backup;

import java.util.Locale;

/** Byte counts as people read them: {@code 512 B}, {@code 1.2 MiB}. */
public final class HumanBytes {
    private HumanBytes() {
    }

    public static String format(long bytes) {
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
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
