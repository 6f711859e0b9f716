package io.fortress.db.internal.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.backup.BackupException;
import io.fortress.db.fuzz.Fuzz;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attacks the checks of a globals file before psql runs it as a superuser ({@link GlobalsScript#checkLines}
 * and {@link GlobalsSql#check}) with mutated pg_dumpall output: meta-commands, carriage returns, quotes,
 * comments, dollar signs and statements pg_dumpall never writes. They answer within the time bound, with the
 * documented BackupException or by accepting the file; a file accepted must be accepted as psql reads it
 * too: its lines (up to each \n, as psql reads them) that start with a backslash are accepted meta-commands,
 * and the rest, checked as SQL alone, passes.
 */
class GlobalsFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("globals");
    private static final Path FILE = Path.of("fuzz.globals.sql");

    @Provide
    Arbitrary<String> files() {
        return Fuzz.mutants(CORPUS, Fuzz.fragments("\n", "\r", "\r\n", "\\", "\\connect x", "\\! id", "\\restrict k", "'", "\"", ";",
                "--", "/*", "*/", "$$", "COPY t TO PROGRAM 'id';", "DO 'x';", "CREATE ROLE r;", "SET a = 1;", " ", "\t", "\f",
                "\u0085", "\u2028"));
    }

    @Property
    void acceptsOnlyWhatPsqlReadsAsAcceptedSql(@ForAll("files") String text) throws Exception {
        check(text);
    }

    @Example
    void corpus() throws Exception {
        for (String text : CORPUS) {
            check(text);
        }
    }

    private static void check(String text) throws Exception {
        try {
            Fuzz.within(text, () -> {
                GlobalsSql.check(text, GlobalsScript.checkLines(text, FILE), FILE);
                return null;
            });
        } catch (BackupException refused) {
            assertThat(refused.getMessage()).as("refusal of %s", Fuzz.show(text)).contains("globals file");
            return;
        }
        // psql reads lines up to \n; a line starting with a backslash (after white space) is a meta-command
        String[] lines = text.split("\n", -1);
        StringBuilder sqlOnly = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].stripLeading();
            if (line.startsWith("\\")) {
                String command = line.split("[\\s]", 2)[0];
                assertThat(command).as("line %d of the accepted %s", i + 1, Fuzz.show(text)).isIn("\\connect", "\\restrict", "\\unrestrict");
            } else {
                sqlOnly.append(lines[i]);
            }
            sqlOnly.append(i + 1 < lines.length ? "\n" : "");
        }
        String sql = sqlOnly.toString();
        try {
            GlobalsSql.check(sql, Set.of(), FILE);
        } catch (BackupException e) {
            throw new AssertionError("the checks accepted " + Fuzz.show(text) + ", but its SQL as psql reads it, "
                    + Fuzz.show(sql) + ", is refused: " + e.getMessage(), e);
        }
    }
}
