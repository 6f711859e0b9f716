package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.PgBouncers;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code fortress cluster start --pgbouncer}: real PgBouncers in front of the embedded cluster, and the
 * one-shot commands on the settings {@code cluster env --pgbouncer} exports.
 */
@RequiresTool(Tool.PGBOUNCER)
class ClusterPgBouncerTest {
    private Path work;
    private Map<String, String> env;

    @BeforeEach
    void dataDir() throws Exception {
        work = Files.createTempDirectory("fortress-cluster-pgbouncer");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x")); // the server user must reach it
        env = FortressProcess.environment(work.resolve("data"), FortressProcess.freePort());
    }

    @AfterEach
    void stopAndDelete() throws Exception {
        if (Files.exists(work.resolve("data").resolve("cluster"))) {
            LocalCluster c = EmbeddedCluster.builder(env).build().inspect();
            PgBouncers.inspect(c).ifPresent(PgBouncers::stopAll);
            c.stopAll();
        }
        try (var paths = Files.walk(work)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void commandsWorkThroughTheEmbeddedClustersPgBouncers() {
        CliRun start = CliRun.of(env, "cluster", "start", "--pgbouncer");
        assertThat(start.status()).as(start.err()).isZero();
        assertThat(start.out()).contains("(PgBouncer 127.0.0.1:").contains("cluster env --pgbouncer");

        Map<String, String> exported = exports(CliRun.of(env, "cluster", "env", "--pgbouncer").out());
        LocalCluster cluster = EmbeddedCluster.builder(env).build().inspect();
        PgBouncers bouncers = PgBouncers.inspect(cluster).orElseThrow();
        assertThat(exported).containsEntry("DB_POOLER", "pgbouncer-transaction")
                .containsEntry("DB_PORT", Integer.toString(bouncers.front(cluster.primary()).port()))
                .containsEntry("DB_REPLICA_HOSTS", bouncers.replicaAddresses())
                .containsEntry("DB_DIRECT_HOSTS", bouncers.directAddresses());

        CliRun up = CliRun.of(exported, "migrate", "up");
        assertThat(up.status()).as(up.err()).isZero();
        assertThat(up.err()).as("the PgBouncers' cluster is no embedded target: nothing is started").doesNotContain("started");
        CliRun backup = CliRun.of(exported, "backup", "create");
        assertThat(backup.status()).as(backup.err()).isZero();
        CliRun health = CliRun.of(exported, "health");
        assertThat(health.status()).as(health.out() + health.err()).isZero();
        assertThat(health.out()).contains(bouncers.front(cluster.replica(1)).address());

        // without the direct addresses, what needs a session of the server is refused with the setting to add
        Map<String, String> noDirect = new HashMap<>(exported);
        noDirect.remove("DB_DIRECT_HOSTS");
        CliRun refused = CliRun.of(noDirect, "backup", "create");
        assertThat(refused.status()).isEqualTo(1);
        assertThat(refused.err()).contains("DB_DIRECT_HOSTS");
        CliRun serve = CliRun.of(noDirect, "serve");
        assertThat(serve.status()).as("serve refuses to start").isEqualTo(2);
        assertThat(serve.err()).contains("DB_DIRECT_HOSTS").contains("scheduled backups");
        // plain cluster env undoes the pooler settings of an earlier cluster env --pgbouncer
        assertThat(CliRun.of(env, "cluster", "env").out()).contains("unset DB_POOLER DB_DIRECT_HOSTS");

        CliRun status = CliRun.of(env, "cluster", "status");
        assertThat(status.status()).as(status.out()).isZero();
        assertThat(status.out()).contains("pgbouncer");
        assertThat(CliRun.of(env, "cluster", "stop").status()).isZero();
        assertThat(bouncers.fronts()).noneMatch(PgBouncers.Front::isRunning);

        // an ordinary start brings the PgBouncers back, on the same ports
        CliRun again = CliRun.of(env, "cluster", "start");
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(bouncers.fronts()).allMatch(PgBouncers.Front::isRunning);
        assertThat(CliRun.of(exported, "migrate", "status").status()).isZero();
    }

    private static Map<String, String> exports(String text) {
        Map<String, String> exported = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^export (\\w+)='(.*)'$").matcher(text);
        while (m.find()) {
            exported.put(m.group(1), m.group(2));
        }
        return exported;
    }
}
