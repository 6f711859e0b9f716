package io.fortress.db.migrate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Splits a migration file into statements at the semicolons PostgreSQL would end them at. Knows
 * single-quoted strings (with {@code ''}), E'' strings (with backslash escapes), quoted names,
 * dollar-quoted bodies ({@code $$...$$}, {@code $fn$...$fn$}, but not parameters such as {@code $1}),
 * line comments, nested block comments and SQL-standard function bodies
 * ({@code BEGIN ATOMIC ... END}, whose inner semicolons and CASE ... END pairs do not end the statement).
 * Plain strings follow {@code standard_conforming_strings = on}, PostgreSQL's default since 9.1.
 */
final class SqlSplitter {
    private final String sql;
    private final int[] lineStarts;
    private final List<SqlStatement> statements = new ArrayList<>();

    private int start = -1;
    private StringBuilder shape = new StringBuilder();
    private StringBuilder bodies = new StringBuilder();
    private int atomicDepth;
    private String lastWord;

    private SqlSplitter(String sql) {
        this.sql = sql;
        this.lineStarts = lineStarts(sql);
    }

    /**
     * The statements of a file, in order; empty statements (only comments or whitespace) are left out.
     *
     * @throws IllegalArgumentException for an unterminated string, quoted name, body or comment, naming its line
     */
    static List<SqlStatement> split(String sql) {
        SqlSplitter splitter = new SqlSplitter(sql);
        splitter.run();
        return List.copyOf(splitter.statements);
    }

    private void run() {
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            char next = i + 1 < n ? sql.charAt(i + 1) : '\0';
            if (c == '-' && next == '-') {
                int end = i;
                while (end < n && sql.charAt(end) != '\n' && sql.charAt(end) != '\r') { // PostgreSQL ends a comment at either
                    end++;
                }
                i = end;
                shape.append(' ');
            } else if (c == '/' && next == '*') {
                i = skipBlockComment(i);
                shape.append(' ');
            } else if (Character.isWhitespace(c)) {
                shape.append(' ');
                i++;
            } else if (c == ';' && atomicDepth == 0) {
                finish(i);
                i++;
            } else {
                if (start < 0) {
                    start = i;
                }
                i = token(i, c);
            }
        }
        finish(n);
    }

    /** Consumes one token starting at a non-space character; returns the index after it. */
    private int token(int i, char c) {
        if (c == '\'') {
            boolean escapes = i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
                    && (i < 2 || !isWordChar(sql.charAt(i - 2)));
            lastWord = null;
            shape.append("''");
            return skipQuoted(i, '\'', escapes, "string");
        }
        if (c == '"') {
            lastWord = null;
            shape.append("\"\"");
            return skipQuoted(i, '"', false, "quoted name");
        }
        if (c == '$' && (i == 0 || !isWordChar(sql.charAt(i - 1)))) {
            int tagEnd = dollarTagEnd(i);
            if (tagEnd > 0) {
                String tag = sql.substring(i, tagEnd);
                int close = sql.indexOf(tag, tagEnd);
                if (close < 0) {
                    throw new IllegalArgumentException("the body quoted with " + tag + " at line " + lineOf(i) + " is never closed");
                }
                bodies.append(sql, tagEnd, close).append('\n');
                lastWord = null;
                shape.append("$$");
                return close + tag.length();
            }
        }
        if (isWordStart(c)) {
            int end = i + 1;
            while (end < sql.length() && isWordChar(sql.charAt(end))) {
                end++;
            }
            String word = sql.substring(i, end).toUpperCase(Locale.ROOT);
            trackAtomicBody(word);
            shape.append(word);
            return end;
        }
        lastWord = null;
        shape.append(c);
        return i + 1;
    }

    /** BEGIN ATOMIC opens a body that only its matching END closes; CASE ... END pairs nest inside it. */
    private void trackAtomicBody(String word) {
        if (atomicDepth > 0) {
            if (word.equals("CASE")) {
                atomicDepth++;
            } else if (word.equals("END")) {
                atomicDepth--;
            }
        } else if (word.equals("ATOMIC") && "BEGIN".equals(lastWord)) {
            atomicDepth = 1;
        }
        lastWord = word;
    }

    private int skipQuoted(int open, char quote, boolean backslashEscapes, String what) {
        int i = open + 1;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < n && sql.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        throw new IllegalArgumentException("the " + what + " opened at line " + lineOf(open) + " is never closed");
    }

    private int skipBlockComment(int open) {
        int depth = 0;
        int i = open;
        int n = sql.length();
        while (i < n) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        throw new IllegalArgumentException("the comment opened at line " + lineOf(open) + " is never closed");
    }

    /** The index after a dollar-quote tag ({@code $$} or {@code $name$}) starting at i; -1 when there is none ({@code $1}). */
    private int dollarTagEnd(int i) {
        int j = i + 1;
        int n = sql.length();
        if (j < n && sql.charAt(j) == '$') {
            return j + 1;
        }
        if (j >= n || !isWordStart(sql.charAt(j))) {
            return -1;
        }
        while (j < n && isWordStart(sql.charAt(j)) || j < n && Character.isDigit(sql.charAt(j))) {
            j++;
        }
        return j < n && sql.charAt(j) == '$' ? j + 1 : -1;
    }

    private void finish(int end) {
        if (start >= 0) {
            String text = sql.substring(start, end).strip();
            String collapsed = shape.toString().replaceAll("\\s+", " ").strip();
            statements.add(new SqlStatement(statements.size() + 1, lineOf(start), text, collapsed, bodies.toString()));
        }
        start = -1;
        shape = new StringBuilder();
        bodies = new StringBuilder();
        atomicDepth = 0;
        lastWord = null;
    }

    private static boolean isWordStart(char c) {
        return Character.isLetter(c) || c == '_' || c >= 0x80;
    }

    private static boolean isWordChar(char c) {
        return isWordStart(c) || Character.isDigit(c) || c == '$';
    }

    private static int[] lineStarts(String s) {
        int[] starts = new int[16];
        int count = 0;
        starts[count++] = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n' || s.charAt(i) == '\r' && (i + 1 == s.length() || s.charAt(i + 1) != '\n')) {
                if (count == starts.length) {
                    starts = Arrays.copyOf(starts, count * 2);
                }
                starts[count++] = i + 1;
            }
        }
        return Arrays.copyOf(starts, count);
    }

    private int lineOf(int index) {
        int found = Arrays.binarySearch(lineStarts, index);
        return found >= 0 ? found + 1 : -found - 1;
    }
}
