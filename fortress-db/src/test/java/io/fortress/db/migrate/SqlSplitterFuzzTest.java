package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.fortress.db.fuzz.Fuzz;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attacks the SQL splitter of migration files with mutated migrations (quotes, dollar bodies, comments,
 * E'' strings, BEGIN ATOMIC bodies cut and spliced at random). It must answer within the time bound with
 * statements or the documented IllegalArgumentException naming a line, and never lose text: everything
 * between the statements it returns is white space, comments and semicolons; each statement starts on the
 * line it names; statements rejoined with semicolons split back into the same statements.
 */
class SqlSplitterFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("sql-splitter");

    @Provide
    Arbitrary<String> migrations() {
        return Arbitraries.oneOf(
                Fuzz.mutants(CORPUS, Fuzz.fragments("'", "''", "\"", "$$", "$a$", "$1", "$a", "--", "-", "/*", "*/", "/", "*", ";", "\n",
                        "\r\n", " ", "E'", "e'", "\\", "\\'", "BEGIN ATOMIC", "BEGIN", "ATOMIC", "END", "CASE", "END;", "x", "U&'",
                        "\u00e9", "\u2028", "\ud83d\ude00", "\ud800", "\u0000")),
                Arbitraries.strings().withChars("'\"$;-/*\\\nEa1 ").ofMaxLength(40),
                Arbitraries.strings().all().ofMaxLength(60));
    }

    @Property
    void splitsOrRefusesWithALineAndLosesNoText(@ForAll("migrations") String sql) throws Exception {
        check(sql);
    }

    @Example
    void corpus() throws Exception {
        for (String sql : CORPUS) {
            check(sql);
        }
    }

    private static void check(String sql) throws Exception {
        List<SqlStatement> statements;
        try {
            statements = Fuzz.within(sql, () -> SqlSplitter.split(sql));
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).as("refusal of %s", Fuzz.show(sql)).containsPattern("at line \\d+");
            return;
        }
        assertLossless(sql, statements);
        String rejoined = String.join("\n;\n", statements.stream().map(SqlStatement::text).toList());
        List<SqlStatement> again = Fuzz.within(rejoined, () -> SqlSplitter.split(rejoined));
        assertThat(again.stream().map(SqlStatement::text).toList()).as("the statements of %s rejoined", Fuzz.show(sql))
                .isEqualTo(statements.stream().map(SqlStatement::text).toList());
    }

    /** Each statement is found in order in the input, on its line, separated from the next by a gap holding a semicolon. */
    private static void assertLossless(String sql, List<SqlStatement> statements) {
        int cursor = 0;
        for (int k = 0; k < statements.size(); k++) {
            SqlStatement s = statements.get(k);
            assertThat(s.text()).as("statement %d of %s", k + 1, Fuzz.show(sql)).isNotBlank().isEqualTo(s.text().strip());
            int at = -1;
            for (int p = sql.indexOf(s.text(), cursor); p >= 0; p = sql.indexOf(s.text(), p + 1)) {
                // a statement never starts where a comment does: "-" is not found at the start of "--"
                if (isGap(sql, cursor, p) && !sql.startsWith("--", p) && !sql.startsWith("/*", p)) {
                    at = p;
                    break;
                }
            }
            if (at < 0) {
                fail("statement %d (%s) of %s is not the input's text after the previous one plus white space, comments and ';'",
                        k + 1, Fuzz.show(s.text()), Fuzz.show(sql));
            }
            if (k > 0 && sql.substring(cursor, at).indexOf(';') < 0) {
                fail("statements %d and %d of %s are not separated by a semicolon", k, k + 1, Fuzz.show(sql));
            }
            assertThat(s.line()).as("line of statement %d of %s", k + 1, Fuzz.show(sql)).isEqualTo(lineOf(sql, at));
            assertThat(s.index()).isEqualTo(k + 1);
            cursor = at + s.text().length();
        }
        if (!isGap(sql, cursor, sql.length())) {
            fail("text after the last statement of %s is lost: %s", Fuzz.show(sql), Fuzz.show(sql.substring(cursor)));
        }
    }

    /** True when sql[from, to) holds only white space, semicolons, line comments and complete (nested) block comments. */
    private static boolean isGap(String sql, int from, int to) {
        int i = from;
        while (i < to) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c) || c == ';') {
                i++;
            } else if (sql.startsWith("--", i) && i + 1 < to) {
                int end = lineEnd(sql, i); // PostgreSQL ends a line comment at LF or CR
                if (end < 0) {
                    return to == sql.length(); // a comment to the end of the file
                }
                if (end >= to) {
                    return false; // it would hide the text after the gap
                }
                i = end;
            } else if (sql.startsWith("/*", i) && i + 1 < to) {
                int depth = 0;
                while (i < to) {
                    if (sql.startsWith("/*", i) && i + 1 < to) {
                        depth++;
                        i += 2;
                    } else if (sql.startsWith("*/", i) && i + 1 < to) {
                        depth--;
                        i += 2;
                        if (depth == 0) {
                            break;
                        }
                    } else {
                        i++;
                    }
                }
                if (depth != 0) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return true;
    }

    private static int lineEnd(String sql, int from) {
        int lf = sql.indexOf('\n', from);
        int cr = sql.indexOf('\r', from);
        return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
    }

    /** Lines end at LF, CRLF or a lone CR, as an editor shows them (CRLF is one line end). */
    private static int lineOf(String sql, int index) {
        int line = 1;
        for (int i = 0; i < index; i++) {
            char c = sql.charAt(i);
            if (c == '\n' || c == '\r' && (i + 1 == sql.length() || sql.charAt(i + 1) != '\n')) {
                line++;
            }
        }
        return line;
    }
}
