package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code fortress migrate} verb on a user's own schema: {@code --schema NAME} (or DB_MIGRATE_SCHEMA)
 * with {@code --source DIR}, a flat golang-migrate folder, and the version table DB_MIGRATE_TABLE names.
 * Each test migrates a schema of its own on one shared cluster.
 */
class MigrateUserSchemaTest {
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

    private static CliRun run(Map<String, String> env, String... args) {
        return CliRun.of(env, args);
    }

    /** {@code migrate VERB ARGS --schema SCHEMA --source FOLDER}. */
    private CliRun migrate(Map<String, String> env, String schema, Path folder, String... verbAndArgs) {
        List<String> all = new ArrayList<>(List.of("migrate"));
        all.addAll(List.of(verbAndArgs));
        all.addAll(List.of("--schema", schema, "--source", folder.toString()));
        return run(env, all.toArray(String[]::new));
    }

    /** A flat folder: versions 10, 20 and 30, each creating a table of the schema, with its down file. */
    private Path folder(String name) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(name));
        for (int v : new int[] {10, 20, 30}) {
            write(folder, v, "CREATE TABLE t" + v + "(id int);\n", "DROP TABLE t" + v + ";\n");
        }
        return folder;
    }

    private static void write(Path folder, int version, String up, String down) throws Exception {
        Files.writeString(folder.resolve(String.format("%06d_t%d.up.sql", version, version)), up);
        Files.writeString(folder.resolve(String.format("%06d_t%d.down.sql", version, version)), down);
    }

    private static String value(String sql) {
        return cluster().primary().queryValue(sql);
    }

    private static void ok(CliRun r) {
        assertThat(r.status()).as(r.out() + r.err()).isZero();
    }

    @Test
    void everyVerbWorksOnTheUsersOwnFolderSchemaAndTable() throws Exception {
        Path folder = folder("app1");
        Map<String, String> env = env();
        env.put("DB_MIGRATE_TABLE", "app_versions");

        CliRun plan = migrate(env, "app1", folder, "plan");
        ok(plan);
        assertThat(plan.out()).startsWith("app1: -1 -> 30").contains("up 000010_t10.up.sql", "up 000030_t30.up.sql");
        JsonNode planJson = HealthJson.JSON.readTree(migrate(env, "app1", folder, "plan", "--json").out());
        assertThat(planJson.get("app1").get("steps")).hasSize(3);

        CliRun up = migrate(env, "app1", folder, "up");
        ok(up);
        assertThat(up.out()).startsWith("app1: version -1 -> 30 (up 000010_t10.up.sql, up 000020_t20.up.sql, up 000030_t30.up.sql)");
        assertThat(value("SELECT version || ' ' || dirty FROM app1.app_versions")).as("the table DB_MIGRATE_TABLE names").isEqualTo("30 false");
        assertThat(value("SELECT count(*) FROM pg_tables WHERE schemaname = 'app1' AND tablename LIKE 't%'")).isEqualTo("3");
        assertThat(migrate(env, "app1", folder, "version").out()).isEqualTo("app1: version 30" + System.lineSeparator());

        CliRun down = migrate(env, "app1", folder, "down");
        ok(down);
        assertThat(down.out()).startsWith("app1: version 30 -> 20 (down 000030_t30.down.sql)");
        ok(migrate(env, "app1", folder, "goto", "10"));
        assertThat(value("SELECT version FROM app1.app_versions")).isEqualTo("10");
        CliRun planTo30 = migrate(env, "app1", folder, "plan", "30");
        assertThat(planTo30.out()).startsWith("app1: 10 -> 30").contains("up 000020_t20.up.sql");
        ok(migrate(env, "app1", folder, "goto", "30"));

        // a failure outside the engine leaves the version dirty: status says so (exit 3), force repairs it
        cluster().primary().execute("UPDATE app1.app_versions SET dirty = true");
        CliRun dirty = migrate(env, "app1", folder, "status");
        assertThat(dirty.status()).as(dirty.out() + dirty.err()).isEqualTo(MigrateCommand.ERROR_FINDINGS);
        assertThat(dirty.out()).startsWith("app1: version 30 (dirty)");
        assertThat(migrate(env, "app1", folder, "up").status()).as("up refuses a dirty version").isEqualTo(FortressCommand.FAILED);
        // the repair status advises is a command line for this schema, table and folder: run as it is, it repairs
        String advised = "DB_MIGRATE_TABLE=app_versions fortress migrate force 30 --schema app1 --source " + folder.toAbsolutePath().normalize();
        assertThat(dirty.out()).contains("`" + advised + "`");
        List<String> words = List.of(advised.split(" "));
        Map<String, String> withTable = new HashMap<>(env());
        withTable.put("DB_MIGRATE_TABLE", words.get(0).substring("DB_MIGRATE_TABLE=".length()));
        CliRun force = run(withTable, words.subList(2, words.size()).toArray(String[]::new));
        ok(force);
        assertThat(force.out()).contains("app1: forced to version 30");
        ok(migrate(env, "app1", folder, "status"));

        // a file below the version (a merged branch) whose change is already in the database: adopt records it
        write(folder, 15, "CREATE TABLE t15(id int);\n", "DROP TABLE t15;\n");
        CliRun outOfOrder = migrate(env, "app1", folder, "status");
        assertThat(outOfOrder.status()).isEqualTo(MigrateCommand.ERROR_FINDINGS);
        assertThat(outOfOrder.out()).contains("OUT_OF_ORDER");
        cluster().primary().execute("CREATE TABLE app1.t15(id int)");
        CliRun adopt = migrate(env, "app1", folder, "adopt", "15");
        ok(adopt);
        assertThat(adopt.out()).contains("app1: recorded version 15 as applied (adopt)");

        // an applied file edited afterwards (a comment only): repair-checksum accepts it
        Path file20 = folder.resolve("000020_t20.up.sql");
        Files.writeString(file20, "-- reviewed\n" + Files.readString(file20));
        CliRun modified = migrate(env, "app1", folder, "status");
        assertThat(modified.status()).isEqualTo(MigrateCommand.ERROR_FINDINGS);
        assertThat(modified.out()).contains("MODIFIED");
        ok(migrate(env, "app1", folder, "repair-checksum", "20"));
        CliRun clean = migrate(env, "app1", folder, "status", "--json");
        ok(clean);
        JsonNode status = HealthJson.JSON.readTree(clean.out());
        assertThat(status.fieldNames()).toIterable().containsExactly("app1");

        CliRun history = migrate(env, "app1", folder, "history");
        ok(history);
        assertThat(history.out()).startsWith("app1: ").contains(" up ", " down ", " force ", " adopt ", " repair_checksum ");
        JsonNode events = HealthJson.JSON.readTree(migrate(env, "app1", folder, "history", "--json").out()).get("app1");
        assertThat(events.get(events.size() - 1).get("kind").asText()).isEqualTo("repair_checksum");
        assertThat(value("SELECT count(*) FROM app1.app_versions_history")).isEqualTo(Integer.toString(events.size()));
    }

    @Test
    void dbMigrateSchemaNamesTheSchemaWhenNoOptionDoes() throws Exception {
        Path folder = folder("app2");
        Map<String, String> env = env();
        env.put("DB_MIGRATE_SCHEMA", "app2");
        CliRun up = run(env, "migrate", "up", "--source", folder.toString());
        ok(up);
        assertThat(up.out()).startsWith("app2: version -1 -> 30");
        assertThat(value("SELECT version FROM app2.schema_migrations")).as("the default version table").isEqualTo("30");
        CliRun same = migrate(env, "app2", folder, "version");
        ok(same);
        assertThat(same.out()).startsWith("app2: version 30");
    }

    @Test
    void combinationsThatSayTwoThingsAreRefusedNamingWhatToDo() throws Exception {
        Path folder = folder("app3");
        CliRun both = run(env(), "migrate", "up", "--service", "credits", "--schema", "app3", "--source", folder.toString());
        assertThat(both.status()).isEqualTo(FortressCommand.USAGE);
        assertThat(both.err()).contains("--service credits and --schema app3 both say what to migrate", "give one of them");

        CliRun noSource = run(env(), "migrate", "up", "--schema", "app3");
        assertThat(noSource.status()).isEqualTo(FortressCommand.USAGE);
        assertThat(noSource.err()).contains("--schema app3 needs --source DIR");

        Map<String, String> env = new HashMap<>(env());
        env.put("DB_MIGRATE_SCHEMA", "other");
        CliRun disagree = migrate(env, "app3", folder, "up");
        assertThat(disagree.status()).isEqualTo(FortressCommand.USAGE);
        assertThat(disagree.err()).contains("--schema app3 and DB_MIGRATE_SCHEMA=other disagree");
        CliRun services = run(env, "migrate", "status", "--service", "credits");
        assertThat(services.status()).isEqualTo(FortressCommand.USAGE);
        assertThat(services.err()).contains("--service credits and DB_MIGRATE_SCHEMA=other", "unset DB_MIGRATE_SCHEMA");
        CliRun jar = run(env, "migrate", "status");
        assertThat(jar.status()).isEqualTo(FortressCommand.USAGE);
        assertThat(jar.err()).contains("DB_MIGRATE_SCHEMA=other needs --source DIR", "unset DB_MIGRATE_SCHEMA");

        CliRun bundled = run(env(), "migrate", "plan", "--schema", "credits");
        assertThat(bundled.status()).as("a bundled service's schema takes its migrations from the jar").isZero();
        assertThat(bundled.out()).startsWith("credits: ").contains("000001_");

        CliRun badName = migrate(env(), "a\"b".repeat(30), folder, "up");
        assertThat(badName.status()).isEqualTo(FortressCommand.USAGE);
        assertThat(badName.err()).contains("DB_MIGRATE_SCHEMA");
        assertThat(value("SELECT count(*) FROM pg_namespace WHERE nspname = 'app3'")).as("nothing ran").isEqualTo("0");
    }
}
