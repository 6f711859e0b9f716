package io.fortress.db.internal.backup.pitr;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Names of WAL segment files ({@code TTTTTTTTXXXXXXXXYYYYYYYY}: timeline, then the position in units of
 * segments) for the default segment size of 16 MiB.
 */
final class WalSegment {
    static final long SIZE = 16L * 1024 * 1024;
    private static final Pattern NAME = Pattern.compile("[0-9A-F]{24}");

    private WalSegment() {
    }

    /** Whether the name is a segment's (not a history, backup-label or partial file's). */
    static boolean isSegment(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** The segment's number counted from the start of WAL, whatever the timeline. */
    static long number(String name) {
        long high = Long.parseLong(name.substring(8, 16), 16);
        long low = Long.parseLong(name.substring(16, 24), 16);
        return high * (0x1_0000_0000L / SIZE) + low;
    }

    static long timeline(String name) {
        return Long.parseLong(name.substring(0, 8), 16);
    }

    /** Whether segment {@code a} is the same as or later than {@code b} (same or later timeline, same or later position). */
    static boolean reached(String a, String b) {
        return timeline(a) >= timeline(b) && number(a) >= number(b);
    }

    /** The WAL position just after the segment's end. */
    static Optional<Long> endLsn(String name) {
        return isSegment(name) ? Optional.of((number(name) + 1) * SIZE) : Optional.empty();
    }
}
