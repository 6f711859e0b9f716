package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code fortress serve} with BACKUP_PITR=true on the embedded cluster: it turns archiving on at start (restarting
 * the primary for archive_mode), and its first scheduled run takes a dump, a full base backup from the replica and a
 * restore drill, all seen on /metrics.
 */
@RequiresTool(Tool.PGBACKREST)
class ServePitrIT {
    @Test
    void serveArchivesAndItsFirstRunTakesAFullBaseBackupAndPassesADrill() throws Exception {
        Path work = Files.createTempDirectory("fortress-serve-pitr-it");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = FortressProcess.freePort();
        Map<String, String> env = new HashMap<>(FortressProcess.environment(work.resolve("data"), port));
        env.put("BACKUP_PITR", "true");
        Path log = work.resolve("serve.log");
        Process serve = FortressProcess.serve(env, log);
        try {
            String banner = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(banner).contains("pitr       WAL archived into pgBackRest at " + work.resolve("data").toAbsolutePath().resolve("pitr-repo"))
                    .contains("(the primary was restarted to turn archive_mode on)").contains("full every 168h, a restore drill every 168h");

            long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            while (metric(port, "fortress_pitr_last_drill_success").isEmpty() && System.nanoTime() < deadline) {
                assertThat(serve.isAlive()).as("serve is running").isTrue();
                Thread.sleep(1000);
            }
            String text = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(metric(port, "fortress_pitr_last_drill_success")).as("the first run's drill\n" + text).contains(1.0);
            assertThat(text).contains("scheduled full base backup").contains("restore drill passed");
            assertThat(metric(port, "fortress_pitr_last_base_backup_timestamp_seconds")).as("the base backup's time").isPresent();
            assertThat(metric(port, "fortress_pitr_last_drill_restore_seconds")).hasValueSatisfying(s -> assertThat(s).isPositive());
            assertThat(metric(port, "fortress_pitr_archive_failing")).contains(0.0);
            assertThat(metric(port, "fortress_backup_last_success_timestamp_seconds")).as("the dump of the same run").isPresent();
            String metrics = FortressProcess.get(port, "/metrics").body();
            for (String meter : ServeIT.metersUsed()) {
                if (meter.startsWith("fortress_pitr_")) {
                    assertThat(metrics).as("the rules' or dashboard's meter " + meter).contains("# TYPE " + meter + " ");
                }
            }
            String page = FortressProcess.get(port, "/").body();
            assertThat(page).as("the status page's panel").contains("<h2>Point-in-time recovery</h2>").contains("ARCHIVING")
                    .contains("PASSED").doesNotContain("FortressPitr");
            FortressProcess.Result list = FortressProcess.run(env, work, "backup", "pitr", "list");
            assertThat(list.exitCode()).as(list.err()).isZero();
            assertThat(list.out()).contains(" full ").contains("restorable from");
        } finally {
            FortressProcess.stop(serve);
        }
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("stopped");
        try (var paths = Files.walk(work)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A sample of /metrics with no label but {@code database}; empty while it is missing or NaN. */
    private static Optional<Double> metric(int port, String name) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{database=\"[^\"]*\"[^}]*\\} (\\S+)$").matcher(FortressProcess.get(port, "/metrics").body());
        if (!m.find() || m.group(1).equals("NaN")) {
            return Optional.empty();
        }
        return Optional.of(Double.parseDouble(m.group(1)));
    }
}
