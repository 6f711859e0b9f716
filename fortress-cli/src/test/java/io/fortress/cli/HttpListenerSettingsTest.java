package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The listener's bounds, the Host names a loopback listener answers to, and where a token may travel in clear. */
class HttpListenerSettingsTest {
    private static final byte[] TOKEN = "0123456789abcdef-token".getBytes(StandardCharsets.UTF_8);

    @Test
    void boundsHaveDefaultsAndRefuseWhatTheJdkServerCannotHonour() {
        HttpLimits defaults = HttpLimits.from(Map.of());
        assertThat(defaults).isEqualTo(new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(30), 1000));
        assertThat(HttpLimits.from(Map.of("FORTRESS_HTTP_REQUEST_TIMEOUT", "3s", "FORTRESS_HTTP_MAX_CONNECTIONS", "64")))
                .isEqualTo(new HttpLimits(Duration.ofSeconds(3), Duration.ofSeconds(30), 64));
        // the JDK server counts whole seconds: 1500ms would silently become 1s
        assertThatThrownBy(() -> HttpLimits.from(Map.of("FORTRESS_HTTP_REQUEST_TIMEOUT", "1500ms")))
                .hasMessageContaining("FORTRESS_HTTP_REQUEST_TIMEOUT").hasMessageContaining("whole seconds from 1s to 10m");
        assertThatThrownBy(() -> HttpLimits.from(Map.of("FORTRESS_HTTP_MAX_CONNECTIONS", "4")))
                .hasMessageContaining("FORTRESS_HTTP_MAX_CONNECTIONS").hasMessageContaining("16 to 10000");
    }

    @Test
    void aLoopbackListenerWithoutATokenAnswersOnlyItsOwnNames() {
        assertThat(HttpApi.checkedHostNames("127.0.0.1:8080", false)).containsExactly("localhost", "127.0.0.1", "[::1]");
        assertThat(HttpApi.checkedHostNames("localhost:8080", false)).containsExactly("localhost", "127.0.0.1", "[::1]");
        assertThat(HttpApi.checkedHostNames("[::1]:8080", false)).containsExactly("localhost", "127.0.0.1", "[::1]");
        assertThat(HttpApi.checkedHostNames("127.0.0.2:8080", false)).contains("127.0.0.2");
        assertThat(HttpApi.checkedHostNames("127.0.0.1:8080", true)).as("the token guards it").isNull();
        assertThat(HttpApi.hostName("LocalHost:8080")).isEqualTo("localhost");
        assertThat(HttpApi.hostName("[::1]:8080")).isEqualTo("[::1]");
        assertThat(HttpApi.hostName("[::1]")).isEqualTo("[::1]");
        assertThat(HttpApi.hostName("evil.example")).isEqualTo("evil.example");
        assertThat(HttpApi.hostName("127.0.0.1:80x")).isEqualTo("127.0.0.1:80x");
    }

    @Test
    void aTokenCrossesTheNetworkInClearOnlyWhenTheOperatorSaysSo() {
        assertThatThrownBy(() -> CliSettings.checkTokenTransport("0.0.0.0:8080", TOKEN, false, Map.of()))
                .hasMessageContaining("would cross the network in clear").hasMessageContaining("FORTRESS_HTTP_ALLOW_PLAINTEXT_TOKEN=true")
                .hasMessageNotContaining("0123456789abcdef");
        assertThatCode(() -> CliSettings.checkTokenTransport("0.0.0.0:8080", TOKEN, false,
                Map.of("FORTRESS_HTTP_ALLOW_PLAINTEXT_TOKEN", "true"))).doesNotThrowAnyException();
        assertThatCode(() -> CliSettings.checkTokenTransport("0.0.0.0:8080", TOKEN, true, Map.of())).as("with TLS").doesNotThrowAnyException();
        assertThatCode(() -> CliSettings.checkTokenTransport("127.0.0.1:8080", TOKEN, false, Map.of())).as("loopback").doesNotThrowAnyException();
        assertThatCode(() -> CliSettings.checkTokenTransport("0.0.0.0:8080", null, false, Map.of())).as("no token").doesNotThrowAnyException();
    }
}
