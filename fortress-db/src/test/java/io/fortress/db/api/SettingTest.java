package io.fortress.db.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Each kind of {@link Setting} built at test time (the settings of DbSettings are built once, when the class
 * loads): what each accepts at the edges, how values show in messages. No database, no environment.
 */
class SettingTest {

    @Test
    void anIntegerIsAcceptedFromItsMinimumToItsMaximumBothIncluded() {
        Setting<Integer> s = Setting.integer("conns", "DB_CONNS", 5, 1, 10, "connections");
        assertThat(s.parseVariable("1")).isEqualTo(1);
        assertThat(s.parseVariable(" 10 ")).isEqualTo(10);
        assertThatThrownBy(() -> s.parseVariable("0")).isInstanceOf(DbConfigException.class)
                .hasMessage("DB_CONNS=0 is invalid: expected an integer from 1 to 10 (conns: connections)");
        assertThatThrownBy(() -> s.parseVariable("11")).hasMessageContaining("DB_CONNS=11 is invalid");
        assertThatThrownBy(() -> s.parseVariable("ten")).isInstanceOf(DbConfigException.class)
                .hasMessage("DB_CONNS=ten is invalid: 'ten' is not an integer; expected an integer from 1 to 10 (conns: connections)");
        assertThat(s.defaultValue()).isEqualTo(5);
        assertThat(s.accepted()).isEqualTo("an integer from 1 to 10");
        assertThat(s).hasToString("conns");
    }

    @Test
    void aValueGivenInCodeIsCheckedAgainstTheSameBoundsAndNamesItsVariable() {
        Setting<Integer> s = Setting.integer("conns", "DB_CONNS", 5, 1, 10, "connections");
        s.check(1);
        s.check(10);
        s.check(null);
        assertThatThrownBy(() -> s.check(11)).isInstanceOf(DbConfigException.class)
                .hasMessage("conns = 11 is invalid: expected an integer from 1 to 10 (environment variable DB_CONNS)");
        Setting<Integer> codeOnly = Setting.integer("n", null, 1, 1, 2, "code only");
        assertThatThrownBy(() -> codeOnly.check(3)).hasMessage("n = 3 is invalid: expected an integer from 1 to 2");
    }

    @Test
    void aServerTimeoutIsZeroOrWholeMillisecondsUpToTheServersLimit() {
        Setting<Duration> s = Setting.serverTimeout("timeout", "DB_TIMEOUT", "a timeout");
        assertThat(s.defaultValue()).isEqualTo(Duration.ZERO);
        assertThat(s.parseVariable("0")).isZero();
        assertThat(s.parseVariable("1ms")).isEqualTo(Duration.ofMillis(1));
        assertThat(s.parseVariable(Integer.MAX_VALUE + "ms")).isEqualTo(Duration.ofMillis(Integer.MAX_VALUE));
        assertThatThrownBy(() -> s.parseVariable(Integer.MAX_VALUE + 1L + "ms")).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("expected 0 (no limit) or from 1ms to 596h in whole milliseconds");
        assertThatThrownBy(() -> s.parseVariable("500us")).isInstanceOf(DbConfigException.class);
        assertThatThrownBy(() -> s.parseVariable("1001us")).isInstanceOf(DbConfigException.class);
        assertThatThrownBy(() -> s.parseVariable("-1ms")).isInstanceOf(DbConfigException.class);
        Setting<Duration> withDefault = Setting.serverTimeout("wait", "DB_WAIT", Duration.ofSeconds(30), "a wait");
        assertThat(withDefault.defaultValue()).isEqualTo(Duration.ofSeconds(30));
        assertThat(withDefault.parseVariable("2s")).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aDurationTakesGoSyntaxAndItsOwnCheck() {
        Setting<Duration> s = Setting.duration("interval", "DB_INTERVAL", Duration.ofSeconds(1), d -> d.toMillis() >= 100,
                "at least 100ms", "how often");
        assertThat(s.parseVariable("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> s.parseVariable("99ms")).hasMessage("DB_INTERVAL=99ms is invalid: expected at least 100ms (interval: how often)");
        assertThatThrownBy(() -> s.parseVariable("5")).hasMessageContaining("has a number without a unit");
    }

    @Test
    void textAndFileRefuseBlankValuesInCode() {
        Setting<String> text = Setting.text("name", "DB_NAME", "app", "the database");
        assertThat(text.parseVariable(" shop ")).isEqualTo("shop");
        assertThatThrownBy(() -> text.check(" ")).hasMessage("name =   is invalid: expected a non-empty text (environment variable DB_NAME)");
        Setting<Path> file = Setting.file("ca", "DB_CA", "the CA file");
        assertThat(file.defaultValue()).isNull();
        assertThat(file.parseVariable("/etc/ca.pem")).isEqualTo(Path.of("/etc/ca.pem"));
        assertThatThrownBy(() -> file.check(Path.of(" "))).hasMessageContaining("expected the path of a readable file");
    }

    @Test
    void booleansTakeFourSpellingsOfEachValueInAnyCase() {
        Setting<Boolean> s = Setting.bool("tls", "DB_TLS", false, "TLS");
        for (String yes : List.of("true", "1", "yes", "on", "TRUE", "On")) {
            assertThat(s.parseVariable(yes)).as(yes).isTrue();
        }
        for (String no : List.of("false", "0", "no", "off", "FALSE", "Off")) {
            assertThat(s.parseVariable(no)).as(no).isFalse();
        }
        assertThatThrownBy(() -> s.parseVariable("maybe")).hasMessage("DB_TLS=maybe is invalid: 'maybe' is not a boolean; expected true or false (tls: TLS)");
        assertThat(s.defaultValue()).isFalse();
    }

    @Test
    void aSecretKeepsItsSpacesAndNeverShowsItsValue() {
        Setting<Secret> s = Setting.secret("password", "DB_PASSWORD", "the password");
        assertThat(s.isSecret()).isTrue();
        assertThat(Setting.text("user", "DB_USER", "app", "the user").isSecret()).isFalse();
        assertThat(s.parseVariable(" pw ").reveal()).isEqualTo(" pw ");
        assertThat(s.display(Secret.of("hunter2"))).isEqualTo("<redacted>");
        assertThat(s.display(null)).isEqualTo("(unset)");
    }

    @Test
    void aRefusedValueWithCredentialsInAUrlIsMaskedAndItsReasonNotRepeated() {
        Setting<Path> s = Setting.of("dir", "DB_DIR", null, v -> {
            throw new IllegalArgumentException("'" + v + "' is bad");
        }, v -> true, "a directory", "where");
        assertThatThrownBy(() -> s.parseVariable("s3://user:p@ss@host/x")).hasMessage(
                "DB_DIR=s3://<redacted>@host/x is invalid: not shown, as it would repeat the credentials; expected a directory (dir: where)");
        assertThatThrownBy(() -> s.parseVariable("plain")).hasMessage(
                "DB_DIR=plain is invalid: 'plain' is bad; expected a directory (dir: where)");
    }

    @Test
    void displayShowsDurationsGoStyleCollectionsJoinedAndOptionalsOrNone() {
        Setting<String> s = Setting.text("x", "X", "a", "x");
        assertThat(s.display(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(s.display(List.of("a", "b"))).isEqualTo("a,b");
        assertThat(s.display(Optional.of(Duration.ofSeconds(5)))).isEqualTo("5s");
        assertThat(s.display(Optional.empty())).isEqualTo("none");
        assertThat(s.display(42)).isEqualTo("42");
        assertThat(s.name()).isEqualTo("x");
        assertThat(s.variable()).isEqualTo("X");
        assertThat(s.description()).isEqualTo("x");
    }
}
