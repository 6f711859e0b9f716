package io.fortress.db.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupSettings;
import io.fortress.db.fuzz.Fuzz;
import io.fortress.db.migrate.MigrationConfig;
import io.fortress.db.migrate.MigrationSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attacks every setting's parser (DbSettings, MigrationSettings, BackupSettings: hosts, URLs, durations,
 * integers, enums, paths, compression, margins) and the three {@code fromEnv} readers with mutated values
 * and whole random environments. A value is either taken, and then passes its own check and displays, or
 * refused with the documented DbConfigException; no other exception, no hang. The message refusing a value
 * never shows a secret setting's value nor a password written into a URL ({@code scheme://user:password@}).
 */
class SettingsFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("settings");
    private static final List<Setting<?>> ALL = all();
    /** A password a value may carry; no message may contain it. */
    private static final String PASSWORD = "pw7Q9zK2";

    private static List<Setting<?>> all() {
        List<Setting<?>> all = new ArrayList<>(DbSettings.ALL);
        all.addAll(MigrationSettings.ALL);
        all.addAll(BackupSettings.ALL);
        return List.copyOf(all);
    }

    @Provide
    Arbitrary<String> values() {
        Arbitrary<String> plain = Arbitraries.oneOf(
                Fuzz.mutants(CORPUS, Fuzz.fragments(",", ":", "[", "]", "/", "//", "..", "@", "%", "?", "#", " ", "-", "+", ".", "0",
                        "99999999999", "h", "ms", "http://", "https://", "s3://", "\u0000", "\n", "\u0663", "e9", ":8008")),
                Arbitraries.strings().all().ofMaxLength(20));
        Arbitrary<String> withPassword = Combinators.combine(Arbitraries.of("http://", "https://", "s3://", "postgres://", "x://"),
                Arbitraries.of("u", "", "user name", "a/b"), Arbitraries.of("", " ", "/", "%", "^", "[", "\\"), plain)
                .as((scheme, user, damage, rest) -> scheme + user + ":" + PASSWORD + damage + "@" + rest);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, plain), net.jqwik.api.Tuple.of(1, withPassword));
    }

    @Property
    void everySettingTakesOrRefusesClearly(@ForAll("values") String raw) throws Exception {
        Fuzz.within(raw, () -> {
            for (Setting<?> setting : ALL) {
                check(setting, raw);
            }
            return null;
        });
    }

    @Example
    void corpus() throws Exception {
        for (String raw : CORPUS) {
            everySettingTakesOrRefusesClearly(raw);
        }
    }

    @Property
    void environmentsBuildOrRefuseClearly(@ForAll("valueLists") List<String> values, @ForAll("seeds") long seed) throws Exception {
        java.util.Random random = new java.util.Random(seed);
        Map<String, String> env = new HashMap<>();
        for (String value : values) {
            Setting<?> setting = ALL.get(random.nextInt(ALL.size()));
            if (setting.variable() != null) {
                env.put(setting.variable(), value);
            }
        }
        build(env, DbConfig::fromEnv);
        build(env, MigrationConfig::fromEnv);
        build(env, BackupConfig::fromEnv);
    }

    @Provide
    Arbitrary<List<String>> valueLists() {
        return values().list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    private static void build(Map<String, String> env, Function<Map<String, String>, Object> fromEnv) throws Exception {
        try {
            Fuzz.within(env, () -> fromEnv.apply(env).toString());
        } catch (DbConfigException refused) {
            // the documented refusal; a checked value (a path that does not exist) is named as given
            assertThat(refused.getMessage()).as("refusal of %s", env).isNotBlank();
        }
    }

    /** How often the password stands where a URL's credentials do: after a {@code //} and before an {@code @}. */
    private static int inUrlCredentials(String raw) {
        int n = 0;
        for (int at = raw.indexOf(PASSWORD); at >= 0; at = raw.indexOf(PASSWORD, at + 1)) {
            if (raw.lastIndexOf("//", at) >= 0 && raw.indexOf('@', at) >= 0) {
                n++;
            }
        }
        return n;
    }

    private static int occurrences(String text) {
        int n = 0;
        for (int at = text.indexOf(PASSWORD); at >= 0; at = text.indexOf(PASSWORD, at + 1)) {
            n++;
        }
        return n;
    }

    /** Called within the time bound. */
    private static <T> void check(Setting<T> setting, String raw) {
        T value;
        try {
            value = setting.parseVariable(raw);
        } catch (DbConfigException refused) {
            String message = refused.getMessage();
            assertThat(message).as("%s refusing %s", setting.variable(), Fuzz.show(raw)).startsWith(setting.variable() + "=");
            int inCredentials = inUrlCredentials(raw);
            if (inCredentials > 0) {
                assertThat(occurrences(message)).as("%s refusing %s: %s", setting.variable(), Fuzz.show(raw), message)
                        .isLessThanOrEqualTo(occurrences(raw) - inCredentials);
            }
            if (setting.isSecret() && raw.strip().length() >= 4) {
                assertThat(message).as("%s refusing %s", setting.variable(), Fuzz.show(raw)).doesNotContain(raw.strip());
            }
            return;
        }
        setting.check(value);
        String shown = setting.display(value);
        if (setting.isSecret()) {
            assertThat(shown).isEqualTo("<redacted>");
        }
    }
}
