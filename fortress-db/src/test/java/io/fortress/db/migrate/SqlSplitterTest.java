package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Research case A11: statement boundaries exactly where PostgreSQL puts them. */
class SqlSplitterTest {

    private static List<String> texts(String sql) {
        return SqlSplitter.split(sql).stream().map(SqlStatement::text).toList();
    }

    @Test
    void splitsAtTopLevelSemicolonsAndDropsEmptyStatements() {
        assertThat(texts("CREATE TABLE a(id int);\n;; INSERT INTO a VALUES (1) ;\nSELECT 1"))
                .containsExactly("CREATE TABLE a(id int)", "INSERT INTO a VALUES (1)", "SELECT 1");
        assertThat(texts("  -- only a comment\n/* and another */\n")).isEmpty();
        assertThat(texts("")).isEmpty();
    }

    @Test
    void dollarQuotedBodiesKeepTheirSemicolons() {
        String fn = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END $$";
        String tagged = "CREATE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $fn$ BEGIN RETURN 'x;$$;'; END; $fn$";
        String doBlock = "DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$";
        assertThat(texts(fn + ";\n" + tagged + ";\n" + doBlock + ";\nSELECT 3;")).containsExactly(fn, tagged, doBlock, "SELECT 3");
    }

    @Test
    void positionalParametersAndDollarsInNamesAreNotQuotes() {
        assertThat(texts("PREPARE p(int) AS SELECT $1; SELECT 2")).containsExactly("PREPARE p(int) AS SELECT $1", "SELECT 2");
        assertThat(texts("SELECT a$b$ FROM t; SELECT 2")).containsExactly("SELECT a$b$ FROM t", "SELECT 2");
    }

    @Test
    void stringsNamesAndEscapeStrings() {
        assertThat(texts("SELECT 'a;b'; SELECT 'it''s;'; SELECT E'it\\'s;'; SELECT e'\\\\'; SELECT \"a;b\" FROM \"x\"\"y;\"; SELECT 1"))
                .containsExactly("SELECT 'a;b'", "SELECT 'it''s;'", "SELECT E'it\\'s;'", "SELECT e'\\\\'",
                        "SELECT \"a;b\" FROM \"x\"\"y;\"", "SELECT 1");
        // standard_conforming_strings: a backslash does not escape the quote of a plain string
        assertThat(texts("SELECT 'C:\\'; SELECT 2")).containsExactly("SELECT 'C:\\'", "SELECT 2");
        // a word ending in e before a quote is not an E'' prefix
        assertThat(texts("SELECT x FROM t WHERE name LIKE'a\\'; SELECT 2")).containsExactly("SELECT x FROM t WHERE name LIKE'a\\'", "SELECT 2");
    }

    @Test
    void commentsIncludingNestedBlockComments() {
        assertThat(texts("SELECT 1 -- ; not an end\n+ 1; /* /* ; */ still ; a comment */ SELECT 2;"))
                .containsExactly("SELECT 1 -- ; not an end\n+ 1", "SELECT 2");
    }

    @Test
    void beginAtomicBodiesEndAtTheirMatchingEnd() {
        String atomic = "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
                + "  SELECT CASE WHEN a > 0 THEN a ELSE 0 END + b;\n"
                + "  SELECT a * b;\n"
                + "END";
        String procedure = "CREATE PROCEDURE ins(x int) LANGUAGE sql BEGIN /* c */ ATOMIC INSERT INTO t VALUES (x); INSERT INTO t VALUES (x + 1); END";
        assertThat(texts(atomic + ";\n" + procedure + ";\nSELECT 1;")).containsExactly(atomic, procedure, "SELECT 1");
        // a transaction's BEGIN is not a body
        assertThat(texts("BEGIN; SELECT 1; COMMIT;")).containsExactly("BEGIN", "SELECT 1", "COMMIT");
    }

    @Test
    void statementsKnowTheirIndexLineAndShape() {
        List<SqlStatement> statements = SqlSplitter.split("-- header\n\ncreate  unique index\n  concurrently \"i\" on t ('x');\n/* c */ vacuum;");
        assertThat(statements).hasSize(2);
        assertThat(statements.get(0).index()).isEqualTo(1);
        assertThat(statements.get(0).line()).isEqualTo(3);
        assertThat(statements.get(0).shape()).isEqualTo("CREATE UNIQUE INDEX CONCURRENTLY \"\" ON T ('')");
        assertThat(statements.get(1).index()).isEqualTo(2);
        assertThat(statements.get(1).line()).isEqualTo(5);
        assertThat(statements.get(1).text()).isEqualTo("vacuum");
    }

    @Test
    void unterminatedQuotesAndCommentsNameTheirLine() {
        assertThatThrownBy(() -> SqlSplitter.split("SELECT 1;\nSELECT 'open"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("string opened at line 2");
        assertThatThrownBy(() -> SqlSplitter.split("SELECT 1;\n\n/* /* */ SELECT 2"))
                .hasMessageContaining("comment opened at line 3");
        assertThatThrownBy(() -> SqlSplitter.split("DO $x$ BEGIN END $y$"))
                .hasMessageContaining("$x$ at line 1 is never closed");
        assertThatThrownBy(() -> SqlSplitter.split("SELECT \"a"))
                .hasMessageContaining("quoted name opened at line 1");
    }
}
