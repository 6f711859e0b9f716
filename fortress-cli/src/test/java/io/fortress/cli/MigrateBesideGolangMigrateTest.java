package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.migrate.GolangMigrate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fortress migrate} beside golang-migrate (its stand-in {@link GolangMigrate}) on one database:
 * every repair the messages advise is a fortress command, and a script reads the state from exit
 * statuses and output. Each test migrates the schema of its own service.
 */
class MigrateBesideGolangMigrateTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);

    @TempDir
    Path dir;

    private static LocalCluster cluster() {
        return CLUSTER.cluster();
    }

    private Map<String, String> env() {
        return CliEnvironment.of(cluster(), cluster().database(), dir.resolve("backups").toString());
    }

    private CliRun fortress(String service, String... args) {
        return fortress(env(), service, args);
    }

    private CliRun fortress(Map<String, String> env, String service, String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "migrate";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--service";
        all[args.length + 2] = service;
        all[args.length + 3] = "--source";
        all[args.length + 4] = dir.resolve("src").toString();
        return CliRun.of(env, all);
    }

    /** Five versions for the service; up file {@code failing} fails after its change. */
    private Path fiveVersions(String service, int failing) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("src").resolve(service));
        cluster().primary().execute("CREATE SCHEMA " + service); // golang-migrate needs it to exist
        for (int v = 1; v <= 5; v++) {
            Files.writeString(folder.resolve(String.format("%06d_v%d.up.sql", v, v)),
                    "CREATE TABLE t" + v + "(id int);\n" + (v == failing ? "SELECT 1/0;\n" : ""));
            Files.writeString(folder.resolve(String.format("%06d_v%d.down.sql", v, v)), "DROP TABLE t" + v + ";\n");
        }
        return folder;
    }

    private static void fix(Path file) throws Exception {
        Files.writeString(file, Files.readString(file).replace("SELECT 1/0;\n", ""));
    }

    /** The status lines of the versions, without the header and findings. */
    private static List<String> versions(CliRun status) {
        return status.out().lines().filter(l -> l.startsWith("  0")).map(String::strip).map(l -> l.replaceAll("\\s+", " ")).toList();
    }

    @Test
    void golangMigrateFailsAndFortressRepairsItThenUpDownAndStatusWork() throws Exception {
        Path folder = fiveVersions("credits", 3);
        try (GolangMigrate go = new GolangMigrate(cluster(), "credits", folder)) {
            go.up(2);
            go.up(0); // fails on 3: (3, dirty)
        } catch (java.sql.SQLException expected) {
            assertThat(expected.getMessage()).contains("division by zero");
        }
        CliRun version = fortress("credits", "version");
        assertThat(version.out()).contains("credits: version 3 (dirty)");
        CliRun dirty = fortress("credits", "status");
        assertThat(dirty.status()).isEqualTo(MigrateCommand.ERROR_FINDINGS);
        assertThat(dirty.out()).contains("ERROR DIRTY").contains("another tool did").contains("`fortress migrate force 3 --schema credits --source " + dir.resolve("src").resolve("credits") + "`");
        CliRun up = fortress("credits", "up");
        assertThat(up.status()).isEqualTo(1);
        assertThat(up.err()).contains("Dirty database version 3").contains("another tool (golang-migrate?) left it dirty: its up of version 3")
                .contains("`fortress migrate force 2 --schema credits --source " + dir.resolve("src").resolve("credits") + "` (force(2) in Java) "
                        + "if nothing of the up of version 3 remains, or `fortress migrate force 3 --schema credits --source "
                        + dir.resolve("src").resolve("credits") + "` (force(3) in Java) once it is complete");

        assertThat(fortress("credits", "force", "2").status()).isZero();
        CliRun repaired = fortress("credits", "status");
        assertThat(repaired.status()).as(repaired.out()).isZero();
        assertThat(versions(repaired)).containsExactly("000001 v1 APPLIED adopt", "000002 v2 APPLIED adopt", "000003 v3 PENDING",
                "000004 v4 PENDING", "000005 v5 PENDING");
        assertThat(repaired.out()).contains("the last attempt to apply 000003_v3.up.sql failed in another tool");

        fix(folder.resolve("000003_v3.up.sql"));
        CliRun upAgain = fortress("credits", "up");
        assertThat(upAgain.status()).as(upAgain.err()).isZero();
        assertThat(upAgain.out()).contains("credits: version 2 -> 5");
        CliRun down = fortress("credits", "down");
        assertThat(down.out()).contains("credits: version 5 -> 4 (down 000005_v5.down.sql)");
        CliRun end = fortress("credits", "status");
        assertThat(end.status()).isZero();
        assertThat(versions(end)).containsExactly("000001 v1 APPLIED adopt", "000002 v2 APPLIED adopt", "000003 v3 APPLIED up",
                "000004 v4 APPLIED up", "000005 v5 PENDING");

        // golang-migrate applies 5 and fails nothing; fortress records it as the other tool's
        try (GolangMigrate go = new GolangMigrate(cluster(), "credits", folder)) {
            go.up(0);
        }
        assertThat(fortress("credits", "down").status()).isZero();
        assertThat(fortress("credits", "up").status()).isZero();
        assertThat(versions(fortress("credits", "status"))).endsWith("000005 v5 APPLIED up");
    }

    @Test
    void withHistoryOnBothSidesFortressForcesUpAndGolangMigrateForcesDown() throws Exception {
        Path folder = fiveVersions("shadow", 4);
        assertThat(fortress("shadow", "goto", "2").status()).isZero();
        try (GolangMigrate go = new GolangMigrate(cluster(), "shadow", folder)) {
            go.up(0); // applies 3, fails on 4
        } catch (java.sql.SQLException expected) {
            assertThat(expected.getMessage()).contains("division by zero");
        }
        // the change of 4 completed by hand, then forced by fortress
        cluster().primary().execute("CREATE TABLE shadow.t4(id int)");
        assertThat(fortress("shadow", "force", "4").status()).isZero();
        CliRun status = fortress("shadow", "status");
        assertThat(status.status()).as(status.out()).isZero();
        assertThat(versions(status)).containsExactly("000001 v1 APPLIED up", "000002 v2 APPLIED up", "000003 v3 APPLIED external_up",
                "000004 v4 APPLIED force", "000005 v5 PENDING");
        assertThat(fortress("shadow", "up").status()).isZero();
        assertThat(fortress("shadow", "down").status()).isZero();
        assertThat(fortress("shadow", "down").status()).isZero();

        // golang-migrate fails on 4 again, and repairs it with its own force
        try (GolangMigrate go = new GolangMigrate(cluster(), "shadow", folder)) {
            try {
                go.up(0);
            } catch (java.sql.SQLException expected) {
                assertThat(expected.getMessage()).contains("division by zero");
            }
            go.force(3);
        }
        fix(folder.resolve("000004_v4.up.sql"));
        CliRun after = fortress("shadow", "status");
        assertThat(after.status()).as(after.out()).isZero();
        assertThat(versions(after)).containsExactly("000001 v1 APPLIED up", "000002 v2 APPLIED up", "000003 v3 APPLIED external_up",
                "000004 v4 PENDING", "000005 v5 PENDING");
        assertThat(fortress("shadow", "up").status()).isZero();
        assertThat(fortress("shadow", "down").status()).isZero();
        assertThat(versions(fortress("shadow", "status"))).endsWith("000004 v4 APPLIED up", "000005 v5 PENDING");
    }

    @Test
    void adoptRepairChecksumANilDirtyVersionAndADownWithoutFile() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("src").resolve("cdefnet"));
        cluster().primary().execute("CREATE SCHEMA cdefnet");
        Files.writeString(folder.resolve("1_a.up.sql"), "CREATE TABLE a();");
        Files.writeString(folder.resolve("1_a.down.sql"), "DROP TABLE a; SELECT 1/0;");
        Files.writeString(folder.resolve("2_b.up.sql"), "CREATE TABLE b();");
        Files.writeString(folder.resolve("2_b.down.sql"), "DROP TABLE b;");
        Files.writeString(folder.resolve("4_d.up.sql"), "CREATE TABLE d();");
        try (GolangMigrate go = new GolangMigrate(cluster(), "cdefnet", folder)) {
            go.up(1);
            try {
                go.down(1); // the rollback of the first version fails: (-1, dirty)
            } catch (java.sql.SQLException expected) {
                assertThat(expected.getMessage()).contains("division by zero");
            }
        }
        assertThat(fortress("cdefnet", "version").out()).contains("cdefnet: no version, dirty");
        assertThat(fortress("cdefnet", "status").status()).isEqualTo(MigrateCommand.ERROR_FINDINGS);
        // the down ran as one implicit transaction, so version 1 is still there
        assertThat(fortress("cdefnet", "force", "1").status()).isZero();
        Files.writeString(folder.resolve("1_a.down.sql"), "DROP TABLE a;");

        Map<String, String> allowMissingDown = new HashMap<>(env());
        allowMissingDown.put("DB_MIGRATE_ALLOW_MISSING_DOWN", "true");
        assertThat(fortress("cdefnet", "up").out()).contains("cdefnet: version 1 -> 4");

        // a file below the version whose change was made by hand: adopt it
        Files.writeString(folder.resolve("3_c.up.sql"), "CREATE TABLE c();");
        Files.writeString(folder.resolve("3_c.down.sql"), "DROP TABLE c;");
        cluster().primary().execute("CREATE TABLE cdefnet.c()");
        CliRun outOfOrder = fortress("cdefnet", "status");
        assertThat(outOfOrder.status()).isEqualTo(MigrateCommand.ERROR_FINDINGS);
        assertThat(outOfOrder.out()).contains("OUT_OF_ORDER").contains("`fortress migrate adopt 3 --schema cdefnet --source " + dir.resolve("src").resolve("cdefnet") + "`");
        CliRun adopt = fortress("cdefnet", "adopt", "3");
        assertThat(adopt.status()).as(adopt.err()).isZero();
        assertThat(adopt.out()).contains("cdefnet: recorded version 3 as applied (adopt)");
        assertThat(fortress("cdefnet", "status").status()).isZero();

        // an applied file edited on purpose (a comment): repair-checksum accepts it
        Files.writeString(folder.resolve("2_b.up.sql"), "-- the b table\nCREATE TABLE b();");
        CliRun modified = fortress("cdefnet", "status");
        assertThat(modified.status()).isEqualTo(MigrateCommand.ERROR_FINDINGS);
        assertThat(modified.out()).contains("MODIFIED").contains("`fortress migrate repair-checksum 2 --schema cdefnet --source " + dir.resolve("src").resolve("cdefnet")
                + "`");
        assertThat(fortress("cdefnet", "up").status()).isEqualTo(1);
        assertThat(fortress("cdefnet", "repair-checksum", "2").status()).isZero();
        CliRun down = fortress(allowMissingDown, "cdefnet", "down");
        assertThat(down.out()).contains("cdefnet: version 4 -> 3 (down of version 4: no file, nothing run)").doesNotContain("null");
        // nothing undid table d: the schema is still at 4
        assertThat(fortress("cdefnet", "force", "4").status()).isZero();
        CliRun clean = fortress("cdefnet", "status");
        assertThat(clean.status()).as(clean.out()).isZero();
        assertThat(versions(clean)).containsExactly("000001 a APPLIED force", "000002 b APPLIED up", "000003 c APPLIED adopt",
                "000004 d APPLIED force");
        assertThat(fortress("cdefnet", "repair-checksum", "9").status()).isEqualTo(1);
        CliRun unknown = fortress("cdefnet", "force", "9");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.err()).contains("fortress migrate force 9 --allow-unknown-version");
        assertThat(fortress("cdefnet", "force", "9", "--allow-unknown-version").status()).isZero();
        assertThat(fortress("cdefnet", "version").out()).contains("cdefnet: version 9");
        assertThat(fortress("cdefnet", "force", "4").status()).isZero();
        Files.writeString(folder.resolve("4_d.down.sql"), "DROP TABLE d;");
        assertThat(fortress("cdefnet", "goto", "2").out()).contains("cdefnet: version 4 -> 2 (down 4_d.down.sql, down 3_c.down.sql)");
        assertThat(fortress("cdefnet", "up").status()).isZero();
    }
}
