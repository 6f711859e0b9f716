package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How files are classified (in a transaction or not) and linted. */
class ScriptTest {

    private static Script.Analysis analyse(String sql) {
        return Script.of("2_x.up.sql", 2, sql).analysis();
    }

    @Test
    void plainFilesRunInATransaction() {
        Script.Analysis a = analyse("CREATE TABLE a(); CREATE TABLE b();");
        assertThat(a.mode()).isEqualTo(TransactionMode.TRANSACTION);
        assertThat(a.statements()).hasSize(2);
        assertThat(a.findings()).isEmpty();
        assertThat(analyse("-- nothing to do\n").mode()).isEqualTo(TransactionMode.TRANSACTION);
    }

    @Test
    void e2AFileWrappedInBeginCommitLosesTheWrapper() {
        for (String sql : List.of("BEGIN; CREATE TABLE a(); CREATE TABLE b(); COMMIT;", "begin transaction;\nCREATE TABLE a();\nend;",
                "START TRANSACTION; CREATE TABLE a(); COMMIT WORK;")) {
            Script.Analysis a = analyse(sql);
            assertThat(a.mode()).as(sql).isEqualTo(TransactionMode.TRANSACTION);
            assertThat(a.statements()).as(sql).extracting(SqlStatement::text).allMatch(t -> t.startsWith("CREATE TABLE"));
            assertThat(a.statements().get(0).index()).as("statements keep their place in the file").isEqualTo(2);
        }
        // savepoints work inside the engine's transaction
        assertThat(analyse("SAVEPOINT s; CREATE TABLE a(); ROLLBACK TO SAVEPOINT s; RELEASE s;").mode()).isEqualTo(TransactionMode.TRANSACTION);
    }

    @Test
    void e3OtherTransactionControlRunsOutsideATransaction() {
        assertThat(analyse("BEGIN; CREATE TABLE a(); COMMIT; BEGIN; CREATE TABLE b(); COMMIT;").mode()).isEqualTo(TransactionMode.NONE);
        assertThat(analyse("BEGIN ISOLATION LEVEL SERIALIZABLE; CREATE TABLE a(); COMMIT;").mode()).isEqualTo(TransactionMode.NONE);
        assertThat(analyse("CREATE TABLE a(); COMMIT;").mode()).isEqualTo(TransactionMode.NONE);
        assertThat(analyse("BEGIN; CREATE TABLE a(); COMMIT;").findings()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "CREATE INDEX CONCURRENTLY i ON t(a)", "create unique index concurrently if not exists i on t(a)",
            "DROP INDEX CONCURRENTLY IF EXISTS i", "REINDEX INDEX CONCURRENTLY i", "REINDEX (VERBOSE) TABLE CONCURRENTLY t",
            "REINDEX SCHEMA s", "REINDEX (VERBOSE) DATABASE d", "REINDEX SYSTEM d",
            "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", "VACUUM", "VACUUM (ANALYZE) t", "CLUSTER",
            "CREATE DATABASE d", "DROP DATABASE IF EXISTS d", "CREATE TABLESPACE ts LOCATION '/x'", "DROP TABLESPACE ts",
            "CREATE SUBSCRIPTION s CONNECTION 'c' PUBLICATION p", "DROP SUBSCRIPTION s", "ALTER SUBSCRIPTION s REFRESH PUBLICATION",
            "ALTER SYSTEM SET work_mem = '8MB'"})
    void statementsPostgresRefusesInATransactionRunAlone(String sql) {
        Script.Analysis a = analyse("-- why\n" + sql + ";");
        assertThat(a.mode()).isEqualTo(TransactionMode.NONE);
        assertThat(a.findings()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"CREATE INDEX i ON t(a)", "REINDEX INDEX i", "ALTER TABLE p DETACH PARTITION p1", "CLUSTER t USING i",
            "ALTER TYPE mood ADD VALUE 'ok'", "SELECT 'VACUUM'", "COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY'"})
    void lookalikesStayInATransaction(String sql) {
        assertThat(analyse(sql + ";").mode()).isEqualTo(TransactionMode.TRANSACTION);
    }

    @Test
    void e6ANonTransactionalStatementMixedWithOthersIsALintError() {
        Script.Analysis a = analyse("CREATE TABLE x(a int);\nCREATE INDEX CONCURRENTLY x_a ON x(a);");
        assertThat(a.findings()).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo(Finding.Kind.NON_TRANSACTIONAL_MIXED);
            assertThat(f.message()).contains("2_x.up.sql: statement 2 at line 2").contains("-- migrate:no-transaction");
        });
        Script.Analysis optedOut = analyse("-- migrate:no-transaction\nCREATE TABLE x(a int);\nCREATE INDEX CONCURRENTLY x_a ON x(a);");
        assertThat(optedOut.findings()).isEmpty();
        assertThat(optedOut.mode()).isEqualTo(TransactionMode.NONE);
        assertThat(optedOut.statements()).hasSize(2);
    }

    @Test
    void lintCatchesLockReleasePsqlAndCopyFromStdin() {
        assertThat(analyse("DISCARD ALL;").findings()).extracting(Finding::kind).contains(Finding.Kind.RELEASES_LOCK);
        assertThat(analyse("SELECT pg_advisory_unlock_all();").findings()).extracting(Finding::kind).containsExactly(Finding.Kind.RELEASES_LOCK);
        assertThat(analyse("DO $$ BEGIN PERFORM pg_advisory_unlock_all(); END $$;").findings()).extracting(Finding::kind)
                .containsExactly(Finding.Kind.RELEASES_LOCK);
        assertThat(analyse("-- never call pg_advisory_unlock_all()\nSELECT 1;").findings()).isEmpty();
        assertThat(analyse("\\connect other\nCREATE TABLE a();").findings()).extracting(Finding::kind)
                .containsExactly(Finding.Kind.PSQL_META_COMMAND);
        assertThat(analyse("SELECT E'\\\\d', 'C:\\';\nDO $$ BEGIN PERFORM regexp_match('a', '\\d'); END $$;").findings()).isEmpty();
        assertThat(analyse("COPY t (a) FROM STDIN;").findings()).extracting(Finding::kind).containsExactly(Finding.Kind.COPY_FROM_STDIN);
        assertThat(analyse("SELECT 'it''s").findings()).extracting(Finding::kind).containsExactly(Finding.Kind.UNPARSABLE);
    }
}
