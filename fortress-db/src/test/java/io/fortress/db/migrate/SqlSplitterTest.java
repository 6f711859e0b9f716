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

    // Boundaries (issue #31, mutation testing): where a quote, tag or comment meets the start or the end of the
    // input, another quote or the end of a statement.

    @Test
    void aDollarQuoteClosingAtTheVeryEndOfTheInputEndsTheLastStatement() {
        List<SqlStatement> statements = SqlSplitter.split("SELECT 1; DO $$ BEGIN PERFORM 1; END $$");
        assertThat(statements).extracting(SqlStatement::text).containsExactly("SELECT 1", "DO $$ BEGIN PERFORM 1; END $$");
        assertThat(statements.get(1).bodies()).isEqualTo(" BEGIN PERFORM 1; END \n");
        assertThat(statements.get(1).shape()).isEqualTo("DO $$");
        assertThat(texts("DO $t$;$t$")).containsExactly("DO $t$;$t$");
    }

    @Test
    void aDollarOrTagCutOffByTheEndOfTheInputIsNoQuote() {
        assertThat(texts("SELECT $")).containsExactly("SELECT $");
        assertThat(texts("SELECT $a")).containsExactly("SELECT $a");
        assertThat(texts("SELECT $ab1")).containsExactly("SELECT $ab1");
        assertThatThrownBy(() -> SqlSplitter.split("SELECT 1;\nSELECT $a$"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("$a$ at line 2 is never closed");
        assertThatThrownBy(() -> SqlSplitter.split("SELECT $$")).hasMessageContaining("$$ at line 1 is never closed");
    }

    @Test
    void aDollarQuoteMayOpenTheInput() {
        List<SqlStatement> statements = SqlSplitter.split("$$a;b$$; SELECT 1");
        assertThat(statements).extracting(SqlStatement::text).containsExactly("$$a;b$$", "SELECT 1");
        assertThat(statements.get(0).bodies()).isEqualTo("a;b\n");
    }

    @Test
    void nestedDollarQuotesCloseOnlyAtTheOuterTag() {
        String outer = "DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; END $outer$";
        List<SqlStatement> statements = SqlSplitter.split(outer + "; SELECT 2");
        assertThat(statements).extracting(SqlStatement::text).containsExactly(outer, "SELECT 2");
        assertThat(statements.get(0).bodies()).isEqualTo(" BEGIN EXECUTE $inner$ SELECT 1; $inner$; END \n");
        assertThat(statements.get(1).bodies()).as("each statement has its own bodies").isEmpty();
        // a longer tag that starts like the open one does not close it
        assertThat(texts("SELECT $a$ x $ab$; $a$; SELECT 2")).containsExactly("SELECT $a$ x $ab$; $a$", "SELECT 2");
    }

    @Test
    void adjacentDollarQuotesEachCloseAtTheirOwnTag() {
        List<SqlStatement> statements = SqlSplitter.split("SELECT $a$;$a$||$b$;$b$; SELECT 2");
        assertThat(statements).extracting(SqlStatement::text).containsExactly("SELECT $a$;$a$||$b$;$b$", "SELECT 2");
        assertThat(statements.get(0).bodies()).isEqualTo(";\n;\n");
        assertThat(statements.get(0).shape()).isEqualTo("SELECT $$||$$");
    }

    @Test
    void tagsMayHoldDigitsAndUnderscoresAfterTheirFirstLetter() {
        assertThat(texts("DO $fn2$ ; $fn2$; DO $_x_1$ ; $_x_1$; SELECT 1"))
                .containsExactly("DO $fn2$ ; $fn2$", "DO $_x_1$ ; $_x_1$", "SELECT 1");
        // $1$ starts with a digit: a parameter, no tag
        assertThat(texts("SELECT $1$; SELECT 2")).containsExactly("SELECT $1$", "SELECT 2");
    }

    @Test
    void nonAsciiCharactersArePartOfNamesSoADollarAfterThemIsNoQuote() {
        assertThat(texts("SELECT \u0080$x$; SELECT 2")).containsExactly("SELECT \u0080$x$", "SELECT 2");
        assertThat(texts("SELECT caf\u00e9$x$; SELECT 2")).containsExactly("SELECT caf\u00e9$x$", "SELECT 2");
    }

    @Test
    void quotesAtTheStartAndTheEndOfTheInput() {
        assertThat(texts("'a;b'; SELECT 1")).containsExactly("'a;b'", "SELECT 1");
        assertThat(texts("\"a;b\"; SELECT 1")).containsExactly("\"a;b\"", "SELECT 1");
        assertThat(texts("SELECT 1; SELECT 'a'")).containsExactly("SELECT 1", "SELECT 'a'");
        assertThat(texts("SELECT 1; SELECT \"a\"")).containsExactly("SELECT 1", "SELECT \"a\"");
    }

    @Test
    void escapedQuotesAtTheEndOfAStringOrTheInput() {
        // a doubled quote just before the closing one, and at the end of the input
        assertThat(texts("SELECT 'it''';SELECT 2")).containsExactly("SELECT 'it'''", "SELECT 2");
        assertThat(texts("SELECT 'it'''")).containsExactly("SELECT 'it'''");
        assertThat(texts("SELECT \"a\"\"\"; SELECT 2")).containsExactly("SELECT \"a\"\"\"", "SELECT 2");
        assertThatThrownBy(() -> SqlSplitter.split("SELECT 'it''")).hasMessageContaining("string opened at line 1");
        // an escaped quote, and an escape cut off by the end of the input
        assertThat(texts("SELECT E'\\'';SELECT 2")).containsExactly("SELECT E'\\''", "SELECT 2");
        assertThatThrownBy(() -> SqlSplitter.split("SELECT E'a\\")).hasMessageContaining("string opened at line 1");
        assertThatThrownBy(() -> SqlSplitter.split("SELECT E'a\\'")).hasMessageContaining("string opened at line 1");
    }

    @Test
    void anEscapeStringPrefixOnlyWhenTheEStandsAlone() {
        // E'' opening the input: backslash escapes
        assertThat(texts("E'a\\';b'; SELECT 1")).containsExactly("E'a\\';b'", "SELECT 1");
        // after punctuation: backslash escapes
        assertThat(texts("SELECT (e'\\';'); SELECT 2")).containsExactly("SELECT (e'\\';')", "SELECT 2");
        // the e ends a longer word, here at the input's third character: a plain string, the backslash is a character
        assertThat(texts("xe'\\'; SELECT 'y'")).containsExactly("xe'\\'", "SELECT 'y'");
        // the word before the e ends in a digit or a dollar: still a word
        assertThat(texts("SELECT 1e'\\'; SELECT 'y'")).containsExactly("SELECT 1e'\\'", "SELECT 'y'");
        assertThat(texts("SELECT $e'\\'; SELECT 'y'")).containsExactly("SELECT $e'\\'", "SELECT 'y'");
    }

    @Test
    void commentsAtTheEndsOfStatements() {
        assertThat(texts("SELECT 1 -- trailing; comment")).containsExactly("SELECT 1 -- trailing; comment");
        assertThat(texts("SELECT 1; -- done; really")).containsExactly("SELECT 1");
        assertThat(texts("SELECT 1 /* c; */; SELECT 2 /* end */")).containsExactly("SELECT 1 /* c; */", "SELECT 2 /* end */");
        assertThat(texts("SELECT 1;/* only a comment */;SELECT 2")).containsExactly("SELECT 1", "SELECT 2");
        // PostgreSQL ends a line comment at a carriage return as well as at a line feed
        assertThat(texts("SELECT 1 -- c\r; SELECT 2")).containsExactly("SELECT 1 -- c", "SELECT 2");
    }

    @Test
    void aSingleDashOrSlashIsAnOperatorNotAComment() {
        List<SqlStatement> statements = SqlSplitter.split("SELECT 4-1; SELECT 4/2; SELECT 2*-1; SELECT 1-");
        assertThat(statements).extracting(SqlStatement::text).containsExactly("SELECT 4-1", "SELECT 4/2", "SELECT 2*-1", "SELECT 1-");
        assertThat(statements.get(0).shape()).isEqualTo("SELECT 4-1");
    }

    @Test
    void aCommentSeparatesWordsInTheShape() {
        assertThat(SqlSplitter.split("SELECT a/*c*/b").get(0).shape()).isEqualTo("SELECT A B");
        assertThat(SqlSplitter.split("SELECT a--c\nb").get(0).shape()).isEqualTo("SELECT A B");
        // "/*/" opens a comment without closing it
        assertThat(texts("SELECT 1 /*/ ; */; SELECT 2")).containsExactly("SELECT 1 /*/ ; */", "SELECT 2");
    }

    @Test
    void quotedTextIsBlankedInTheShape() {
        assertThat(SqlSplitter.split("select 'x;', \"y\", $$z$$, e'\\''").get(0).shape()).isEqualTo("SELECT '', \"\", $$, E''");
    }

    @Test
    void linesCountLineFeedsCarriageReturnsAndBoth() {
        List<SqlStatement> statements = SqlSplitter.split("SELECT 1;\r\nSELECT 2;\rSELECT 3;\nSELECT 4;\r\r\nSELECT 5");
        assertThat(statements).extracting(SqlStatement::line).containsExactly(1, 2, 3, 4, 6);
        assertThat(statements).extracting(SqlStatement::index).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void linesBeyondTheSixteenthAreCountedToo() {
        StringBuilder sql = new StringBuilder();
        for (int i = 1; i <= 40; i++) {
            sql.append("SELECT ").append(i).append(";\n");
        }
        List<SqlStatement> statements = SqlSplitter.split(sql.toString());
        assertThat(statements).hasSize(40);
        assertThat(statements.get(39).line()).isEqualTo(40);
        assertThat(statements.get(16).line()).isEqualTo(17);
        assertThatThrownBy(() -> SqlSplitter.split(sql + "\n\nSELECT 'open"))
                .hasMessageContaining("string opened at line 43");
    }

    @Test
    void onlyBeginImmediatelyFollowedByAtomicOpensABody() {
        // anything between BEGIN and ATOMIC but white space and comments ends the pair
        assertThat(texts("SELECT begin + atomic; SELECT 2")).containsExactly("SELECT begin + atomic", "SELECT 2");
        assertThat(texts("SELECT begin 'x' atomic; SELECT 2")).containsExactly("SELECT begin 'x' atomic", "SELECT 2");
        assertThat(texts("SELECT begin \"x\" atomic; SELECT 2")).containsExactly("SELECT begin \"x\" atomic", "SELECT 2");
        assertThat(texts("SELECT begin $$x$$ atomic; SELECT 2")).containsExactly("SELECT begin $$x$$ atomic", "SELECT 2");
        assertThat(texts("SELECT atomic begin; SELECT 2")).containsExactly("SELECT atomic begin", "SELECT 2");
        // lower case opens one as well
        String body = "create function f() returns int language sql begin atomic select 1; end";
        assertThat(texts(body + "; select 2")).containsExactly(body, "select 2");
    }

    @Test
    void anAtomicBodyLeftOpenRunsToTheEndOfTheInputAndNextStatementsStartAfresh() {
        assertThat(texts("CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2"))
                .containsExactly("CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2");
        // END closes the body; the next BEGIN (a transaction) does not reopen it
        assertThat(texts("CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END; BEGIN; SELECT 2; END"))
                .containsExactly("CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END", "BEGIN", "SELECT 2", "END");
    }

    @Test
    void anEmptyStringClosesAtItsSecondQuote() {
        assertThat(texts("SELECT ''; SELECT 2")).containsExactly("SELECT ''", "SELECT 2");
        assertThat(texts("SELECT E''; SELECT 2")).containsExactly("SELECT E''", "SELECT 2");
    }

    @Test
    void aStatementRightBeforeALineBreakIsOnTheLineItStartsOn() {
        List<SqlStatement> statements = SqlSplitter.split("SELECT 1;\nx\n;SELECT 2");
        assertThat(statements).extracting(SqlStatement::text).containsExactly("SELECT 1", "x", "SELECT 2");
        assertThat(statements).extracting(SqlStatement::line).containsExactly(1, 2, 3);
        // a carriage return that ends the input ends a line too
        assertThat(SqlSplitter.split("SELECT 1;\r")).extracting(SqlStatement::line).containsExactly(1);
    }
}
