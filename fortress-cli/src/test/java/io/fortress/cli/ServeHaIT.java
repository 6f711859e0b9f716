package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code fortress serve --ha}: the same service on a Patroni cluster of its own, which ends with it. */
class ServeHaIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RequiresTool({Tool.PATRONI, Tool.ETCD})
    @Test
    void servesOnAPatroniClusterShowsPatronisViewAndLeavesNothingRunning() throws Exception {
        Path work = Files.createTempDirectory("fortress-serve-ha-it");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = FortressProcess.freePort();
        Map<String, String> env = FortressProcess.environment(work.resolve("data"), port);
        Path log = work.resolve("serve.log");
        Process serve = FortressProcess.serve(env, log, "--ha");
        Path root;
        try {
            String banner = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(banner).contains("fortress serve is up").contains("Patroni cluster (etcd and 3 members")
                    .contains("schemas    credits v2, shadow v1, cdefnet v1");
            Matcher in = Pattern.compile("\\) in (\\S+), thrown away at exit").matcher(banner);
            assertThat(in.find()).as(banner).isTrue();
            root = Path.of(in.group(1));

            HttpResponse<String> health = FortressProcess.get(port, "/health/database");
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(health.body());
            JsonNode patroni = body.get("patroni");
            assertThat(patroni).as(health.body()).hasSize(3);
            List<String> leaders = patroni.findParents("role").stream().filter(m -> m.get("role").asText().equals("leader"))
                    .map(m -> m.get("member").asText()).toList();
            assertThat(leaders).hasSize(1);
            JsonNode primary = body.get("nodes").get(0);
            assertThat(primary.get("name").asText()).as("fortress writes where Patroni leads").isEqualTo(leaders.get(0));
            assertThat(primary.get("state").asText()).isEqualTo("UP");
            assertThat(body.get("nodes")).hasSize(3);
        } finally {
            FortressProcess.stop(serve);
        }
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("stopped");
        assertThat(root).as("the Patroni cluster's folder is gone").doesNotExist();
        assertThat(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains(root.toString())).toList()).as("processes of the Patroni cluster left running").isEmpty();
        try (var paths = Files.walk(work)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void refusesWhenTheEnvironmentNamesAnotherDatabase() throws Exception {
        Path work = Files.createTempDirectory("fortress-serve-ha-refused");
        Map<String, String> env = new java.util.HashMap<>(FortressProcess.environment(work.resolve("data"), FortressProcess.freePort()));
        env.put("DB_HOST", "127.0.0.1");
        FortressProcess.Result r = FortressProcess.run(env, work, "serve", "--ha");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--ha runs a Patroni cluster of its own").contains("DB_HOST");
    }
}
