package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.Setting;
import io.fortress.db.fuzz.Fuzz;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attacks the settings of the {@code fortress} command ({@link CliSettings}: FORTRESS_HTTP_ADDR, the
 * health aliases, log format and level, paths) and {@code validate} with mutated values and environments.
 * A value is taken or refused with the documented DbConfigException, within the time bound; an address
 * taken splits into a host and a port from 1 to 65535 without an exception.
 */
class CliSettingsFuzzTest {
    private static final List<String> CORPUS = Fuzz.corpus("cli-settings");

    @Provide
    Arbitrary<String> values() {
        return Arbitraries.oneOf(
                Fuzz.mutants(CORPUS, Fuzz.fragments(":", "[", "]", "::", "0", "65535", "99999999999", "-1", "+1", " ", "\u0661", "s",
                        "ms", "h", ".")),
                Arbitraries.strings().all().ofMaxLength(16));
    }

    @Provide
    Arbitrary<List<String>> valueLists() {
        return values().list().ofMaxSize(8);
    }

    @Property
    void everySettingTakesOrRefusesClearly(@ForAll("values") String raw) throws Exception {
        Fuzz.within(raw, () -> {
            for (Setting<?> setting : CliSettings.ALL) {
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
    void environmentsValidateOrRefuseClearly(@ForAll("valueLists") List<String> values, @ForAll long seed) throws Exception {
        java.util.Random random = new java.util.Random(seed);
        List<String> variables = List.of("FORTRESS_HTTP_ADDR", "FORTRESS_HEALTH_INTERVAL", "FORTRESS_HEALTH_TIMEOUT", "DB_HEALTH_INTERVAL",
                "DB_HEALTH_TIMEOUT", "FORTRESS_LOG_FORMAT", "FORTRESS_LOG_LEVEL", "FORTRESS_IOC_CLEANUP_INTERVAL", "FORTRESS_HTTP_ALLOW_OPEN",
                "FORTRESS_HTTP_MAX_CONNECTIONS", "FORTRESS_HTTP_REQUEST_TIMEOUT", "FORTRESS_HTTP_RESPONSE_TIMEOUT",
                "FORTRESS_HTTP_ALLOW_PLAINTEXT_TOKEN");
        Map<String, String> env = new HashMap<>();
        values.forEach(v -> env.put(variables.get(random.nextInt(variables.size())), v));
        try {
            Fuzz.within(env, () -> {
                CliSettings.validate(env);
                return null;
            });
        } catch (DbConfigException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }

    private static <T> void check(Setting<T> setting, String raw) {
        Map<String, String> env = Map.of(setting.variable(), raw);
        T value;
        try {
            value = CliSettings.get(setting, env);
        } catch (DbConfigException refused) {
            assertThat(refused.getMessage()).as("%s refusing %s", setting.variable(), Fuzz.show(raw)).startsWith(setting.variable() + "=");
            return;
        }
        if (setting == CliSettings.HTTP_ADDR) {
            String address = (String) value;
            CliSettings.host(address);
            assertThat(CliSettings.port(address)).as("port of %s", Fuzz.show(address)).isBetween(1, 65535);
        }
        setting.display(value);
    }
}
