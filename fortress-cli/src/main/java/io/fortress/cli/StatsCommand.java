package io.fortress.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fortress stats}: the stats JSON of the running {@code fortress serve} (the process that
 * holds the pools), read from its /metrics/database at FORTRESS_HTTP_ADDR.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Print the stats JSON (pools and statement counts) of the running fortress serve,",
                "read from http://FORTRESS_HTTP_ADDR/metrics/database."})
final class StatsCommand extends Subcommand {
    @ParentCommand
    FortressCommand fortress;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String address = CliSettings.get(CliSettings.HTTP_ADDR, fortress.environment());
        javax.net.ssl.SSLContext tls = HttpTls.clientContext(fortress.environment());
        HttpClient.Builder clientBuilder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            clientBuilder.sslContext(tls);
        }
        HttpClient client = clientBuilder.build();
        String base = (tls != null ? "https://" : "http://") + address;
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/metrics/database"))
                .timeout(Duration.ofSeconds(10)).GET();
        byte[] token = CliSettings.httpToken(fortress.environment());
        if (token != null) {
            request.header("Authorization", "Bearer " + new String(token, java.nio.charset.StandardCharsets.UTF_8));
        }
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 401) {
                spec.commandLine().getErr().println("fortress: " + base + "/metrics/database wants a token: set "
                        + "FORTRESS_HTTP_TOKEN_FILE to the file fortress serve reads");
                return FortressCommand.FAILED;
            }
            if (response.statusCode() != 200) {
                spec.commandLine().getErr().println("fortress: " + base + "/metrics/database answered " + response.statusCode());
                return FortressCommand.FAILED;
            }
            out().println(response.body());
            return 0;
        } catch (ConnectException e) {
            spec.commandLine().getErr().println("fortress: no fortress serve answers at " + address
                    + " (FORTRESS_HTTP_ADDR); start one with bin/fortress serve, or point FORTRESS_HTTP_ADDR at it");
            return FortressCommand.FAILED;
        }
    }
}
