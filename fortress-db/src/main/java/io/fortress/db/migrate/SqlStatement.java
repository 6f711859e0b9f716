package io.fortress.db.migrate;

/**
 * One statement of a migration file.
 *
 * @param index  1-based position in the file
 * @param line   line of the file where the statement starts
 * @param text   the statement as written, without leading comments and the closing semicolon
 * @param shape  the statement with comments removed, literals, quoted names and bodies blanked,
 *               whitespace collapsed and upper-cased: what classification looks at
 * @param bodies the contents of its dollar-quoted bodies (function and DO bodies), for lint
 */
record SqlStatement(int index, int line, String text, String shape, String bodies) {

    /** True when the shape starts with the given words, e.g. {@code startsWith("CREATE", "INDEX")}. */
    boolean startsWith(String... words) {
        String prefix = String.join(" ", words);
        return shape.equals(prefix) || shape.startsWith(prefix + " ") || shape.startsWith(prefix + "(") || shape.startsWith(prefix + ";");
    }

    /** The text shortened for messages. */
    String abbreviated() {
        return abbreviate(text);
    }

    /** A statement's text on one line, shortened to 120 characters for messages. */
    static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ");
        return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 117) + "...";
    }
}
