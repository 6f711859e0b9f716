package io.fortress.db.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.fuzz.Fuzz;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Attacks Go-style durations ({@link Durations}), which every duration setting parses, with mutated
 * durations: signs, several dots, unknown and partial units, non-ASCII digits, huge numbers. Accepted
 * text must be Go's grammar ({@code time.ParseDuration}) and mean what Go means (fractions of a
 * nanosecond dropped); anything else is the documented IllegalArgumentException. A parsed duration
 * formats to text that parses back equal, and every duration of the long nanosecond range round-trips.
 */
class DurationsFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("durations");
    private static final Pattern GO = Pattern.compile("[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)");
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)");

    @Provide
    Arbitrary<String> durations() {
        return Arbitraries.oneOf(
                Fuzz.mutants(CORPUS, Fuzz.fragments("ns", "us", "\u00b5s", "\u03bcs", "ms", "s", "m", "h", ".", "-", "+", "0", "9",
                        "99999999999999999999", "e5", " ", "\u0663", "\uff15", "1.", ".5")),
                Arbitraries.strings().withChars("0123456789.+-nsumh ").ofMaxLength(24),
                Arbitraries.strings().all().ofMaxLength(16));
    }

    @Property
    void acceptsOnlyGoDurationsWithTheirMeaning(@ForAll("durations") String text) throws Exception {
        check(text);
    }

    @Example
    void corpus() throws Exception {
        for (String text : CORPUS) {
            check(text);
        }
    }

    @Property
    void everyDurationFormatsAndParsesBack(@ForAll long nanos) {
        Duration d = Duration.ofNanos(nanos);
        String text = Durations.format(d);
        assertThat(GO.matcher(text).matches()).as(text).isTrue();
        assertThat(Durations.parse(text)).as(text).isEqualTo(d);
    }

    @Property
    void everyDurationFormats(@ForAll long seconds, @ForAll @IntRange(min = 0, max = 999_999_999) int nano) throws Exception {
        Duration d = Duration.ofSeconds(seconds, nano);
        String text = Fuzz.within(d, () -> Durations.format(d));
        assertThat(GO.matcher(text).matches()).as("format(%s) = %s", d, text).isTrue();
    }

    private static void check(String text) throws Exception {
        Duration parsed;
        try {
            parsed = Fuzz.within(text, () -> Durations.parse(text));
        } catch (IllegalArgumentException refused) {
            parsed = null;
        }
        String s = text.strip();
        if (!GO.matcher(s).matches()) {
            assertThat(parsed).as("Durations.parse(%s), which Go refuses", Fuzz.show(text)).isNull();
            return;
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher part = PART.matcher(s);
        while (part.find()) {
            long unit = switch (part.group(2)) {
                case "ns" -> 1L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> 1_000L;
            };
            nanos = nanos.add(new BigDecimal(part.group(1)).multiply(BigDecimal.valueOf(unit)));
        }
        java.math.BigInteger whole = s.startsWith("-") ? nanos.toBigInteger().negate() : nanos.toBigInteger();
        if (whole.bitLength() > 63) {
            assertThat(parsed).as("Durations.parse(%s), beyond the long nanosecond range", Fuzz.show(text)).isNull();
            return;
        }
        assertThat(parsed).as("Durations.parse(%s)", Fuzz.show(text)).isEqualTo(Duration.ofNanos(whole.longValue()));
        String formatted = Durations.format(parsed);
        assertThat(Durations.parse(formatted)).as("Durations.parse(format(parse(%s))) = parse(%s)", Fuzz.show(text), formatted)
                .isEqualTo(parsed);
    }
}
