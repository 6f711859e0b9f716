package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.fuzz.Fuzz;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attacks how a migration source is read ({@link MigrationCatalog#load}): mutated file names (versions
 * with leading zeros, beyond 2^63-1, in other scripts' digits, duplicate versions, wrong case, extra
 * extensions) holding mutated SQL, CRLF, a BOM or bytes that are not UTF-8. Loading answers within the time
 * bound with a catalog or the documented MigrationSourceException; a catalog holds exactly the files
 * golang-migrate reads as migrations ({@code ^([0-9]+)_(.*)\.(down|up)\.sql$}), each under its version.
 */
class MigrationNamesFuzzTest {
    private static final List<String> NAMES = Fuzz.corpus("migration-names");
    /** The splitter's small seeds: its own target attacks the SQL; here the contents only need to vary. */
    private static final List<String> SQL = Fuzz.corpus("sql-splitter").stream().filter(s -> s.length() < 400).toList();
    private static final Pattern GOLANG_MIGRATE = Pattern.compile("^([0-9]+)_(.*)\\.(down|up)\\.(.*)$");

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.oneOf(
                Fuzz.mutants(NAMES, Fuzz.fragments("0", "1", "9", "_", ".", ".up", ".down", ".sql", ".UP", "up", "\u0661", "\uff11",
                        "99999999999999999999", "/", "..", " ", "\n")),
                Arbitraries.strings().withChars("0123456789_.updownsql").ofMaxLength(24));
    }

    @Provide
    Arbitrary<byte[]> contents() {
        return Arbitraries.oneOf(
                Fuzz.mutants(SQL, Fuzz.fragments("'", "$$", "--", "/*", ";", "\r\n", "\r", "\ufeff", "BEGIN;", "COMMIT;",
                        "CREATE INDEX CONCURRENTLY i ON t (a);", "-- migrate:no-transaction\n", "\\connect x", "COPY t FROM STDIN;",
                        "SELECT pg_advisory_unlock_all();")).map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40));
    }

    @Provide
    Arbitrary<Map<String, byte[]>> sources() {
        // a list of files made into a map (a name given twice keeps its last file): jqwik's maps() keeps drawing names until
        // they are unique, which costs more than the target when mutants of few seeds often agree
        return Combinators.combine(names(), contents()).as(Map::entry).list().ofMaxSize(6).map(entries -> {
            Map<String, byte[]> files = new LinkedHashMap<>();
            entries.forEach(e -> files.put(e.getKey(), e.getValue()));
            return files;
        });
    }

    @Property
    void loadsExactlyTheMigrationFilesOrRefusesClearly(@ForAll("sources") Map<String, byte[]> files) throws Exception {
        check(files);
    }

    @Example
    void corpus() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.size(); i++) {
            files.put(NAMES.get(i), SQL.get(i % SQL.size()).getBytes(StandardCharsets.UTF_8));
            check(Map.of(NAMES.get(i), files.get(NAMES.get(i))));
        }
        check(files);
    }

    private static void check(Map<String, byte[]> files) throws Exception {
        MigrationSource source = new MigrationSource() {
            @Override
            public List<String> list() {
                return List.copyOf(files.keySet());
            }

            @Override
            public byte[] read(String fileName) {
                return files.get(fileName).clone();
            }

            @Override
            public String describe() {
                return "fuzz source";
            }
        };
        MigrationCatalog catalog;
        try {
            catalog = Fuzz.within(files.keySet(), () -> {
                MigrationCatalog c = MigrationCatalog.load(source);
                c.lint();
                return c;
            });
        } catch (MigrationSourceException refused) {
            assertThat(refused.problems()).as("refusal of %s", files.keySet()).isNotEmpty();
            return;
        }
        Map<String, Long> expected = new HashMap<>();
        for (String name : files.keySet()) {
            Matcher m = GOLANG_MIGRATE.matcher(name);
            if (m.matches()) {
                assertThat(m.group(4)).as("%s is a migration golang-migrate reads, with another extension than sql", name).isEqualTo("sql");
                BigInteger version = new BigInteger(m.group(1));
                assertThat(version.bitLength()).as("version of %s", name).isLessThan(64);
                expected.put(name, version.longValue());
            }
        }
        Map<String, Long> loaded = new HashMap<>();
        for (Migration m : catalog.all()) {
            for (Script s : new Script[] {m.up(), m.down()}) {
                if (s != null) {
                    assertThat(s.version()).isEqualTo(m.version());
                    loaded.put(s.fileName(), s.version());
                }
            }
        }
        assertThat(loaded).as("the migrations of %s", files.keySet()).isEqualTo(expected);
    }
}
