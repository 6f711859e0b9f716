package io.fortress.db.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.fuzz.Fuzz;
import io.fortress.db.internal.Lsn;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attacks WAL positions ({@link Lsn}) and the consistency tokens web clients send back
 * ({@link ConsistencyToken#parse}) with mutated positions: signs, non-ASCII digits, long halves, extra
 * slashes. Accepted text must be what PostgreSQL's pg_lsn accepts (1 to 8 hex digits, a slash, 1 to 8
 * hex digits) and mean the same position; anything else is the documented IllegalArgumentException.
 * Every position formats and parses back to itself.
 */
class LsnAndTokenFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("lsn");
    /** pg_lsn_in: strspn of hex digits, 1 to 8 of them, '/', 1 to 8 more. */
    private static final Pattern PG_LSN = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

    @Provide
    Arbitrary<String> positions() {
        return Arbitraries.oneOf(
                Fuzz.mutants(CORPUS, Fuzz.fragments("/", "-", "+", "0", "F", "f", "x", "0x", " ", "\u0661", "\uff11", "FFFFFFFF",
                        "123456789", "-1", "+1", "\n", "\u0000")),
                Arbitraries.strings().withChars("0123456789abcdefABCDEF/+- x").ofMaxLength(20),
                Arbitraries.strings().all().ofMaxLength(20));
    }

    @Property
    void acceptsOnlyPgLsnTextWithItsMeaning(@ForAll("positions") String text) throws Exception {
        check(text);
    }

    @Example
    void corpus() throws Exception {
        for (String text : CORPUS) {
            check(text);
        }
    }

    @Property
    void everyPositionFormatsAndParsesBack(@ForAll long lsn) {
        assertThat(Lsn.parse(Lsn.format(lsn))).isEqualTo(lsn);
        ConsistencyToken token = new ConsistencyToken(lsn);
        assertThat(ConsistencyToken.parse(token.toString())).isEqualTo(token);
        assertThat(PG_LSN.matcher(token.toString()).matches()).isTrue();
    }

    private static void check(String text) throws Exception {
        Long lsn;
        try {
            lsn = Fuzz.within(text, () -> Lsn.parse(text));
        } catch (IllegalArgumentException refused) {
            lsn = null;
        }
        var m = PG_LSN.matcher(text);
        if (m.matches()) {
            long expected = Long.parseUnsignedLong(m.group(1), 16) << 32 | Long.parseUnsignedLong(m.group(2), 16);
            assertThat(lsn).as("Lsn.parse(%s)", Fuzz.show(text)).isEqualTo(expected);
            assertThat(Lsn.format(lsn)).isEqualToIgnoringCase(Lsn.format(expected));
        } else {
            assertThat(lsn).as("Lsn.parse(%s), which pg_lsn refuses", Fuzz.show(text)).isNull();
        }
        ConsistencyToken token;
        try {
            token = Fuzz.within(text, () -> ConsistencyToken.parse(text));
        } catch (IllegalArgumentException refused) {
            token = null;
        }
        if (PG_LSN.matcher(text.strip()).matches()) {
            assertThat(token).as("ConsistencyToken.parse(%s)", Fuzz.show(text)).isNotNull();
            assertThat(ConsistencyToken.parse(token.toString())).isEqualTo(token);
        } else {
            assertThat(token).as("ConsistencyToken.parse(%s), which pg_lsn refuses", Fuzz.show(text)).isNull();
        }
    }
}
