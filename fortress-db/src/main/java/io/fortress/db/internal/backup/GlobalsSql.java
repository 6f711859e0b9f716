package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The SQL a globals file may hold: what pg_dumpall --globals-only writes, nothing else. The file runs
 * as a superuser, and SQL alone can run programs on the database server ({@code COPY ... TO PROGRAM},
 * {@code DO}, functions), so every statement must start as pg_dumpall's do (SET, CREATE/ALTER/DROP
 * ROLE, GRANT, REVOKE, CREATE/ALTER/DROP TABLESPACE, COMMENT ON ROLE|TABLESPACE, SECURITY LABEL).
 *
 * <p>Statements are split on semicolons outside single-quoted strings, double-quoted identifiers and
 * comments. Whatever could make that split differ from the server's is refused instead of
 * interpreted: a backslash anywhere but at the start of an accepted meta-command line (escape strings,
 * {@code standard_conforming_strings = off}) and a dollar sign outside quotes (dollar quoting).
 * pg_dumpall writes neither; refusing them fails closed.
 */
public final class GlobalsSql {
    private static final List<String> ALLOWED = List.of("SET ", "CREATE ROLE ", "ALTER ROLE ", "DROP ROLE ", "GRANT ", "REVOKE ",
            "CREATE TABLESPACE ", "ALTER TABLESPACE ", "DROP TABLESPACE ", "COMMENT ON ROLE ", "COMMENT ON TABLESPACE ",
            "SECURITY LABEL ");

    private GlobalsSql() {
    }

    /**
     * Refuses a globals file with a statement pg_dumpall does not write.
     *
     * @param metaLines the (1-based) lines holding an accepted meta-command, skipped as psql would
     * @throws BackupException naming the file, the line and what is accepted
     */
    public static void check(String text, java.util.Set<Integer> metaLines, Path file) {
        StringBuilder statement = new StringBuilder();
        int line = 1;
        int statementLine = 1;
        boolean lineStart = true;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (lineStart && metaLines.contains(line)) {
                int end = text.indexOf('\n', i);
                i = end < 0 ? text.length() : end;
                line++;
                continue;
            }
            lineStart = false;
            switch (c) {
                case '\n' -> {
                    line++;
                    lineStart = true;
                    statement.append(' ');
                }
                case '\\' -> throw refused(file, line, "a backslash outside an accepted meta-command line");
                case '$' -> throw refused(file, line, "a dollar sign outside quotes (dollar quoting)");
                case '\'', '"' -> {
                    int close = i + 1;
                    while (true) {
                        close = text.indexOf(c, close);
                        if (close < 0) {
                            throw refused(file, line, "an unterminated " + (c == '\'' ? "string" : "quoted name"));
                        }
                        if (close + 1 < text.length() && text.charAt(close + 1) == c) {
                            close += 2; // a doubled quote inside
                            continue;
                        }
                        break;
                    }
                    String quoted = text.substring(i, close + 1);
                    if (quoted.indexOf('\\') >= 0) {
                        throw refused(file, line, "a backslash inside a quoted string or name");
                    }
                    line += (int) quoted.chars().filter(ch -> ch == '\n').count();
                    statement.append(c).append(c); // the content does not matter, only that it is quoted
                    i = close;
                }
                case '-' -> {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '-') {
                        int end = text.indexOf('\n', i);
                        String comment = end < 0 ? text.substring(i) : text.substring(i, end);
                        if (comment.indexOf('\\') >= 0) {
                            throw refused(file, line, "a backslash in a comment");
                        }
                        i = (end < 0 ? text.length() : end) - 1;
                    } else {
                        statement.append(c);
                    }
                }
                case '/' -> {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '*') {
                        int end = text.indexOf("*/", i + 2);
                        if (end < 0) {
                            throw refused(file, line, "an unterminated comment");
                        }
                        String comment = text.substring(i, end + 2);
                        if (comment.indexOf('\\') >= 0 || comment.indexOf("/*", 2) >= 0) {
                            throw refused(file, line, "a backslash or a nested comment in a comment");
                        }
                        line += (int) comment.chars().filter(ch -> ch == '\n').count();
                        statement.append(' ');
                        i = end + 1;
                    } else {
                        statement.append(c);
                    }
                }
                case ';' -> {
                    allowed(statement.toString(), file, statementLine);
                    statement.setLength(0);
                    statementLine = line;
                }
                default -> {
                    if (statement.toString().isBlank() && !Character.isWhitespace(c)) {
                        statementLine = line;
                    }
                    statement.append(c);
                }
            }
        }
        if (!statement.toString().isBlank()) {
            throw refused(file, statementLine, "a statement without a closing semicolon");
        }
    }

    private static void allowed(String statement, Path file, int line) {
        String s = statement.strip().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT) + " ";
        if (s.isBlank() || ALLOWED.stream().anyMatch(s::startsWith)) {
            return;
        }
        String first = s.strip().split(" ", 2)[0];
        throw refused(file, line, "a statement starting " + (first.length() > 20 ? first.substring(0, 20) + "..." : first)
                .replaceAll("\\p{Cntrl}", "?"));
    }

    private static BackupException refused(Path file, int line, String what) {
        return new BackupException("the globals file " + file + " has " + what + " on line " + line + "; a globals file may hold "
                + "only what pg_dumpall --globals-only writes (SET, CREATE/ALTER/DROP ROLE, GRANT, REVOKE, CREATE/ALTER/DROP "
                + "TABLESPACE, COMMENT ON and SECURITY LABEL of roles and tablespaces, and the meta-commands \\connect, \\restrict "
                + "and \\unrestrict), so it was altered and is not run");
    }
}
