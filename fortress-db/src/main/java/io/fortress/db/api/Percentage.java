package io.fortress.db.api;

/**
 * A share written with its sign, e.g. {@code 5%}: a bare number would leave {@code 0.05} ambiguous.
 *
 * @param value the share in percent (5 for 5 %)
 */
public record Percentage(double value) {
    /** Checks that the value is a finite number. */
    public Percentage {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("a percentage must be a finite number, not " + value);
        }
    }

    /**
     * Parses {@code 5%} or {@code 0.5%}.
     *
     * @throws IllegalArgumentException naming the text when it is not a number followed by %
     */
    public static Percentage parse(String text) {
        if (!text.endsWith("%")) {
            throw new IllegalArgumentException("'" + text + "' is not a percentage: write it with %, e.g. 5%");
        }
        try {
            return new Percentage(Double.parseDouble(text.substring(0, text.length() - 1).strip()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a percentage, e.g. 5%");
        }
    }

    /** The share as a fraction (0.05 for 5 %). */
    public double fraction() {
        return value / 100;
    }

    /** The value with its sign, without a needless fraction: {@code 5%}, {@code 0.5%}. */
    @Override
    public String toString() {
        return (value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value)) + "%";
    }
}
