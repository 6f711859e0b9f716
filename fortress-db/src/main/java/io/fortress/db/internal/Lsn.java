package io.fortress.db.internal;

/**
 * PostgreSQL WAL positions ({@code pg_lsn}) as unsigned 64-bit numbers; the text form is
 * {@code XXXXXXXX/XXXXXXXX} in hex, as the server prints them.
 */
public final class Lsn {
    private Lsn() {
    }

    /**
     * Parses the server's text form, e.g. {@code 0/3000060}.
     *
     * @throws IllegalArgumentException when the text is not a WAL position
     */
    public static long parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no WAL position given");
        }
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || slash > 8 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("'" + text + "' is not a WAL position (expected hex X/Y, e.g. 0/3000060)");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            // Long.parseLong alone would take signs and non-ASCII digits: "0/-1" would be FFFFFFFF/FFFFFFFF
            if (i != slash && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                throw new IllegalArgumentException("'" + text + "' is not a WAL position (expected hex X/Y, e.g. 0/3000060)");
            }
        }
        try {
            long high = Long.parseLong(text.substring(0, slash), 16);
            long low = Long.parseLong(text.substring(slash + 1), 16);
            return (high << 32) | low;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a WAL position (expected hex X/Y, e.g. 0/3000060)");
        }
    }

    /** The server's text form of a position. */
    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    /** Bytes from {@code from} to {@code to}; 0 when {@code to} is not ahead. */
    public static long distance(long from, long to) {
        return Long.compareUnsigned(to, from) > 0 ? to - from : 0;
    }
}
