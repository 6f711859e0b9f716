package io.fortress.db.internal.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.backup.BackupException;
import io.fortress.db.fuzz.Fuzz;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attacks the reader of {@code pg_restore --list --verbose} listings ({@link ArchiveToc}), whose names come
 * from an archive in an untrusted repository, with mutated listings: dump ids beyond int, dependencies that
 * are not numbers, a header's entry count that is not one, names holding type words, cut lines. Reading
 * answers within the time bound with a table of contents or the documented BackupException; a table of
 * contents holds one entry per entry line, in order, and its header and lookups answer without exceptions.
 */
class ArchiveTocFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("archive-toc");
    private static final Pattern ENTRY_LINE = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.*)$", Pattern.DOTALL);

    @Provide
    Arbitrary<String> listings() {
        return Fuzz.mutants(CORPUS, Fuzz.fragments("\n", ";", "; depends on:", " ", "0", "9", "99999999999", "-1", "x",
                "TABLE DATA ", "TABLE ", "FK CONSTRAINT ", "SEQUENCE OWNED BY", ";     TOC Entries: ", ";     Format: ", "credits ",
                "\r", "\t", "\u0661", "\u2028", "\u0085"));
    }

    @Property
    void readsEveryEntryOrRefusesClearly(@ForAll("listings") String listing) throws Exception {
        check(listing);
    }

    @Example
    void corpus() throws Exception {
        for (String listing : CORPUS) {
            check(listing);
        }
    }

    private static void check(String listing) throws Exception {
        ArchiveToc toc;
        try {
            toc = Fuzz.within(listing, () -> {
                ArchiveToc t = ArchiveToc.parse(listing);
                t.declaredEntries();
                t.format();
                t.hasTableData("credits", "accounts");
                t.find("TABLE", "credits", "accounts");
                return t;
            });
        } catch (BackupException refused) {
            assertThat(refused.getMessage()).as("refusal of %s", Fuzz.show(listing)).contains("pg_restore");
            return;
        }
        // pg_restore ends lines with \n only; a name may hold any other character
        List<String> entryLines = java.util.Arrays.stream(listing.split("\n")).filter(l -> ENTRY_LINE.matcher(l).matches()).toList();
        assertThat(toc.entries().stream().map(ArchiveToc.Entry::line).toList()).as("entries of %s", Fuzz.show(listing))
                .isEqualTo(entryLines);
        for (ArchiveToc.Entry e : toc.entries()) {
            String body = ENTRY_LINE.matcher(e.line()).replaceFirst("$4");
            assertThat(body).as("entry %s", Fuzz.show(e.line())).startsWith(e.type()).endsWith(e.rest());
            assertThat(body.length()).as("entry %s", Fuzz.show(e.line())).isLessThanOrEqualTo(e.type().length() + 1 + e.rest().length());
        }
    }
}
