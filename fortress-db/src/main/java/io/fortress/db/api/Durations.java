package io.fortress.db.api;

import java.time.Duration;

/**
 * Go-style durations, as the environment variables take them: {@code 500ms}, {@code 30s}, {@code 5m},
 * {@code 1h30m}, {@code 1.5h}. Units are ns, us (or µs), ms, s, m and h; a bare number is refused
 * except {@code 0}, exactly as Go's {@code time.ParseDuration} does.
 */
public final class Durations {
    private Durations() {
    }

    /**
     * Parses a Go-style duration.
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no duration given");
        }
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        boolean negative = false;
        int i = 0;
        if (s.charAt(0) == '-' || s.charAt(0) == '+') {
            negative = s.charAt(0) == '-';
            i++;
        }
        if (s.substring(i).equals("0")) {
            return Duration.ZERO;
        }
        if (i == s.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration");
        }
        java.math.BigDecimal totalNanos = java.math.BigDecimal.ZERO;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (isAsciiDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            String number = s.substring(start, i);
            if (number.isEmpty() || number.equals(".") || number.chars().filter(c -> c == '.').count() > 1) {
                throw new IllegalArgumentException("'" + text + "' is not a duration (expected a number at position " + (start + 1) + ")");
            }
            int unitStart = i;
            while (i < s.length() && !isAsciiDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            String unit = s.substring(unitStart, i);
            long nanosPerUnit = switch (unit) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                case "" -> throw new IllegalArgumentException("'" + text + "' has a number without a unit; add one of ns, us, ms, s, m, h (e.g. 30s)");
                default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit '" + unit + "'; use ns, us, ms, s, m or h");
            };
            totalNanos = totalNanos.add(new java.math.BigDecimal(number).multiply(java.math.BigDecimal.valueOf(nanosPerUnit)));
        }
        // as Go: fractions of a nanosecond are dropped, and the range is that of a signed 64-bit count of nanoseconds
        java.math.BigInteger nanos = totalNanos.toBigInteger();
        nanos = negative ? nanos.negate() : nanos;
        if (nanos.bitLength() > 63) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** Go's digits: Character.isDigit would also take other scripts' digits, which BigDecimal then reads (an Arabic-Indic three before 1h30m made 31h30m). */
    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Formats a duration the way Go would accept it back, shortest first: {@code 1h30m}, {@code 500ms}, {@code 0s}.
     * Any Duration formats, also one beyond the long nanoseconds that {@link #parse} accepts.
     */
    public static String format(Duration d) {
        java.math.BigInteger nanos = java.math.BigInteger.valueOf(d.getSeconds()).multiply(java.math.BigInteger.valueOf(1_000_000_000L))
                .add(java.math.BigInteger.valueOf(d.getNano()));
        if (nanos.signum() == 0) {
            return "0s";
        }
        return nanos.signum() < 0 ? "-" + format(nanos.negate()) : format(nanos);
    }

    private static String format(java.math.BigInteger nanos) {
        java.math.BigInteger[] secondsAndNanos = nanos.divideAndRemainder(java.math.BigInteger.valueOf(1_000_000_000L));
        long subSecond = secondsAndNanos[1].longValue();
        if (subSecond != 0) {
            if (subSecond % 1_000_000L == 0) {
                return nanos.divide(java.math.BigInteger.valueOf(1_000_000L)) + "ms";
            }
            if (subSecond % 1_000L == 0) {
                return nanos.divide(java.math.BigInteger.valueOf(1_000L)) + "us";
            }
            return nanos + "ns";
        }
        java.math.BigInteger[] hoursAndSeconds = secondsAndNanos[0].divideAndRemainder(java.math.BigInteger.valueOf(3600));
        long seconds = hoursAndSeconds[1].longValue();
        StringBuilder sb = new StringBuilder();
        if (hoursAndSeconds[0].signum() > 0) {
            sb.append(hoursAndSeconds[0]).append('h');
        }
        if (seconds >= 60) {
            sb.append(seconds / 60).append('m');
            seconds %= 60;
        }
        if (seconds > 0) {
            sb.append(seconds).append('s');
        }
        return sb.toString();
    }
}
