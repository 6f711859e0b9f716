package io.fortress.db.internal.backup;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.db.backup.BackupException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What a globals file may hold. Real pg_dumpall output passes (RepositoryTrustTest and
 * BackupRoundTripTest restore real ones); here, hostile text that tries to make the split differ from
 * the server's, or to run anything but pg_dumpall's statements, is refused naming the line.
 */
class GlobalsSqlTest {
    private static final Path FILE = Path.of("x.globals.sql");

    private static void check(String text) {
        GlobalsSql.check(text, GlobalsScript.checkLines(text, FILE), FILE);
    }

    @Test
    void whatPgDumpallWritesPasses() {
        String dump = """
                --
                -- PostgreSQL database cluster dump
                --

                \\restrict vMWCw6P0e7CeD6ZQ15atwmzHapE9iaSwCkldMa4oNrmX47ZykzmHYUNdDnvWg8q

                SET default_transaction_read_only = off;

                SET client_encoding = 'UTF8';
                SET standard_conforming_strings = on;

                CREATE ROLE "Odd; Name";
                ALTER ROLE "Odd; Name" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2VydmVy';
                COMMENT ON ROLE "Odd; Name" IS 'it''s; a /* comment */ -- text';
                ALTER ROLE "Odd; Name" SET search_path TO 'app', 'public';
                CREATE TABLESPACE fast OWNER postgres LOCATION '/srv/fast';
                GRANT pg_read_all_data TO "Odd; Name" WITH INHERIT TRUE GRANTED BY postgres;
                /* a block
                   comment */
                \\unrestrict vMWCw6P0e7CeD6ZQ15atwmzHapE9iaSwCkldMa4oNrmX47ZykzmHYUNdDnvWg8q

                --
                -- PostgreSQL database cluster dump complete
                --
                """;
        assertThatCode(() -> check(dump)).doesNotThrowAnyException();
    }

    @Test
    void anythingElseIsRefusedNamingTheLine() {
        Map<String, String> attacks = Map.of(
                "SET a = 1;\nCOPY (SELECT 1) TO PROGRAM 'id';\n", "a statement starting COPY on line 2",
                "CREATE ROLE a; copy x from program 'id';\n", "a statement starting COPY on line 1",
                "DO $$BEGIN PERFORM 1; END$$;\n", "a dollar sign outside quotes",
                "COMMENT ON ROLE a IS $q$ ' $q$; SELECT 1; -- ';\n", "a dollar sign outside quotes",
                "SET standard_conforming_strings = off;\nCOMMENT ON ROLE a IS '\\''; SELECT 1; -- ';\n", "a backslash inside a quoted string",
                "CREATE ROLE a /* x /* y */ ; SELECT 1; */;\n", "a nested comment",
                "CREATE ROLE a;\nSELECT pg_read_file('/etc/passwd');\n", "a statement starting SELECT on line 2",
                "CREATE ROLE 'unterminated;\n", "an unterminated string",
                "CREATE ROLE a\n", "a statement without a closing semicolon",
                "-- \\! id\nCREATE ROLE a;\n", "a backslash in a comment");
        attacks.forEach((text, expected) -> assertThatThrownBy(() -> check(text)).as(text)
                .isInstanceOf(BackupException.class).hasMessageContaining(expected).hasMessageContaining("x.globals.sql"));
        assertThatThrownBy(() -> GlobalsSql.check("SELECT 1;\n", Set.of(), FILE)).hasMessageContaining("is not run");
    }
}
