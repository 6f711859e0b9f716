package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * No surprise servers: one-shot commands that only read never create or start the embedded cluster;
 * a command that must start it says so, with the command that stops it.
 */
class EmbeddedClusterUseTest {
    private Path work;
    private Map<String, String> env;

    @BeforeEach
    void dataDir() throws Exception {
        work = Files.createTempDirectory("fortress-embedded-use");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x")); // the server user must reach it
        env = FortressProcess.environment(work.resolve("data"), FortressProcess.freePort());
    }

    @AfterEach
    void stopAndDelete() throws Exception {
        if (Files.exists(work.resolve("data").resolve("cluster"))) {
            EmbeddedCluster.builder(env).build().inspect().stopAll();
        }
        try (var paths = Files.walk(work)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void readingCommandsStartNothingAndAStartIsAnnounced() {
        for (String[] reading : new String[][] {{"migrate", "status"}, {"migrate", "version"}, {"migrate", "plan"}, {"backup", "list"}}) {
            CliRun run = CliRun.of(env, reading);
            assertThat(run.status()).as(String.join(" ", reading)).isEqualTo(1);
            assertThat(run.err()).contains("there is no embedded cluster in").contains("only reads")
                    .contains("bin/fortress cluster start");
            assertThat(work.resolve("data").resolve("cluster")).as("nothing created by " + String.join(" ", reading)).doesNotExist();
        }

        CliRun up = CliRun.of(env, "migrate", "up");
        assertThat(up.status()).as(up.err()).isZero();
        assertThat(up.err()).contains("created and started an embedded cluster").contains("bin/fortress cluster stop");

        CliRun status = CliRun.of(env, "migrate", "status");
        assertThat(status.status()).as(status.err()).isZero();
        assertThat(status.err()).doesNotContain("started");

        assertThat(CliRun.of(env, "cluster", "stop").status()).isZero();
        LocalCluster stopped = EmbeddedCluster.builder(env).build();
        stopped.inspect();
        assertThat(stopped.nodes()).noneMatch(Node::isRunning);
        CliRun afterStop = CliRun.of(env, "backup", "list");
        assertThat(afterStop.status()).isEqualTo(1);
        assertThat(afterStop.err()).contains("is stopped").contains("only reads");
        stopped.inspect();
        assertThat(stopped.nodes()).as("backup list started nothing").noneMatch(Node::isRunning);

        // what eval "$(fortress cluster env)" leaves: DB_HOST names the embedded cluster, which is recognised as such
        Map<String, String> exported = new java.util.HashMap<>(env);
        for (String line : CliRun.of(env, "cluster", "env").out().split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("export (\\w+)='(.*)'").matcher(line);
            if (m.matches()) {
                exported.put(m.group(1), m.group(2));
            }
        }
        assertThat(exported).containsKeys("DB_HOST", "DB_PORT", Target.CLUSTER_ENV_MARKER);
        CliRun stillStopped = CliRun.of(exported, "migrate", "status");
        assertThat(stillStopped.status()).isEqualTo(1);
        assertThat(stillStopped.err()).as("a stopped embedded cluster, not a connect timeout").contains("is stopped").contains("only reads");
        CliRun upAgain = CliRun.of(exported, "migrate", "up");
        assertThat(upAgain.status()).as(upAgain.err()).isZero();
        assertThat(upAgain.err()).contains("started the embedded cluster");
        assertThat(CliRun.of(env, "cluster", "stop").status()).isZero();

        // DB_HOST from cluster env, but FORTRESS_DATA_DIR now names another folder: the message says where DB_HOST came from
        Map<String, String> elsewhere = new java.util.HashMap<>(exported);
        elsewhere.put("FORTRESS_DATA_DIR", work.resolve("other").toString());
        elsewhere.put("DB_CONNECT_TIMEOUT", "1s");
        CliRun lost = CliRun.of(elsewhere, "migrate", "up");
        assertThat(lost.status()).isEqualTo(1);
        assertThat(lost.err()).contains("cluster env").contains("unset DB_HOST");
    }
}
