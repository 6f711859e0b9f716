package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Backup → restore into a new database → identical definitions and row counts, and what restore refuses. */
class BackupRoundTripTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final String SOURCE = "services";
    private static Database db;
    private static String sourceSchema;
    private static Map<String, Long> sourceCounts;

    @TempDir
    Path tmp;

    @BeforeAll
    static void createData() {
        LocalCluster cluster = CLUSTER.cluster();
        BackupTesting.createDatabase(cluster, SOURCE);
        BackupTesting.createServiceSchemas(cluster, SOURCE, 500);
        db = Database.open(TestDatabases.primaryOnly(cluster).database(SOURCE).build());
        sourceSchema = BackupTesting.schemaOnly(cluster, SOURCE);
        sourceCounts = BackupTesting.rowCounts(cluster, SOURCE);
    }

    @AfterAll
    static void close() {
        if (db != null) {
            db.close();
        }
    }

    private BackupManager manager(BackupConfig.Builder config) {
        return BackupManager.create(db, config.build());
    }

    @ParameterizedTest(name = "{0} format, {1} job(s)")
    @CsvSource({"custom, 1", "custom, 3", "directory, 1", "directory, 3"})
    void restoresIntoANewDatabaseWithIdenticalSchemaAndRows(String format, int jobs) throws Exception {
        BackupManager manager = manager(BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "b"))
                .format(BackupFormat.parse(format)).parallelJobs(jobs));
        BackupInfo backup = manager.backup();

        assertThat(backup.status()).isEqualTo(BackupStatus.VERIFIED);
        assertThat(backup.manifest().lifecycle().verifyLevel()).isEqualTo("full-read");
        assertThat(backup.format()).isEqualTo(BackupFormat.parse(format));
        assertThat(manager.listBackups()).extracting(BackupInfo::id).containsExactly(backup.id());
        assertThat(backup.manifest().contents().tables()).hasSize(sourceCounts.size());
        backup.manifest().contents().tables().forEach(t -> assertThat(t.rows()).isEqualTo(sourceCounts.get(t.schema() + "." + t.name())));
        assertThat(backup.manifest().files().entries()).allSatisfy(f -> assertThat(f.sha256()).hasSize(64));
        try (var c = CLUSTER.cluster().primary().connect(); var s = c.createStatement(); var rs = s.executeQuery("SHOW server_version_num")) {
            rs.next();
            assertThat(backup.manifest().source().serverVersionNum()).isEqualTo(Integer.parseInt(rs.getString(1)));
        }

        String target = "restored_" + format + "_" + jobs;
        RestoreResult result = manager.restore(backup.path(), RestoreOptions.builder().targetDatabase(target).build());

        assertThat(result.createdDatabase()).isTrue();
        assertThat(result.inPlace()).isFalse();
        assertThat(BackupTesting.schemaOnly(CLUSTER.cluster(), target)).isEqualTo(sourceSchema);
        assertThat(BackupTesting.rowCounts(CLUSTER.cluster(), target)).isEqualTo(sourceCounts);
        BackupTesting.dropDatabase(CLUSTER.cluster(), target);
    }

    @Test
    void plainPgRestoreReadsTheArchiveWithoutFortress() throws Exception {
        BackupManager manager = manager(BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "plain")));
        BackupInfo backup = manager.backup();
        BackupTesting.createDatabase(CLUSTER.cluster(), "plain_restore");
        BackupTesting.run(CLUSTER.cluster(), List.of(BackupTesting.tool(CLUSTER.cluster(), "pg_restore"), "--no-password", "--exit-on-error",
                "--dbname=plain_restore", backup.path().toString()));
        assertThat(BackupTesting.rowCounts(CLUSTER.cluster(), "plain_restore")).isEqualTo(sourceCounts);
        BackupTesting.dropDatabase(CLUSTER.cluster(), "plain_restore");
    }

    @Test
    void refusesANonEmptyTargetWithoutForceAndReplacesInPlaceWithForce() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        BackupTesting.createDatabase(cluster, "ledger");
        BackupTesting.sql(cluster, "ledger", "CREATE TABLE accounts (id serial PRIMARY KEY, balance bigint CHECK (balance >= 0))",
                "CREATE TABLE entries (id bigserial PRIMARY KEY, account int REFERENCES accounts(id), amount bigint)",
                "CREATE INDEX entries_account ON entries (account)",
                "INSERT INTO accounts (balance) SELECT g FROM generate_series(1, 100) g",
                "INSERT INTO entries (account, amount) SELECT 1 + g % 100, g FROM generate_series(1, 1000) g");
        Map<String, Long> ledgerCounts = BackupTesting.rowCounts(cluster, "ledger");
        try (Database ledger = Database.open(TestDatabases.primaryOnly(cluster).database("ledger").build())) {
            BackupManager manager = BackupManager.create(ledger, BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "safety")).build());
            BackupInfo backup = manager.backup();
            BackupTesting.sql(cluster, "ledger", "DELETE FROM entries WHERE id % 2 = 0", "CREATE TABLE extra (x int)");

            // The configured (live) database and any non-empty one are refused without force; nothing changes.
            assertThatThrownBy(() -> manager.restore(backup.path()))
                    .isInstanceOf(BackupException.class).hasMessageContaining("already exists").hasMessageContaining("--force");
            assertThat(BackupTesting.count(cluster, "ledger", "entries")).isEqualTo(500);

            // In place, twice: the second run is idempotent; objects the backup does not have stay.
            for (int i = 0; i < 2; i++) {
                RestoreResult r = manager.restore(backup.path(), RestoreOptions.builder().force(true).build());
                assertThat(r.inPlace()).isTrue();
                assertThat(r.createdDatabase()).isFalse();
                Map<String, Long> counts = BackupTesting.rowCounts(cluster, "ledger");
                assertThat(counts.remove("public.extra")).isZero();
                assertThat(counts).isEqualTo(ledgerCounts);
            }
        }
        // An empty database is a fine target without force.
        BackupManager manager = manager(BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "services")));
        BackupInfo services = manager.backup();
        BackupTesting.createDatabase(cluster, "empty_target");
        assertThat(manager.restore(services.path(), RestoreOptions.builder().targetDatabase("empty_target").build()).createdDatabase()).isFalse();
        assertThat(BackupTesting.rowCounts(cluster, "empty_target")).isEqualTo(sourceCounts);

        // pg_restore --clean cannot drop the inherited constraints of partitions: with one job the failure changes nothing.
        BackupTesting.sql(cluster, "empty_target", "DELETE FROM credits.transactions");
        assertThatThrownBy(() -> manager.restore(services.path(), RestoreOptions.builder().targetDatabase("empty_target").force(true).build()))
                .hasMessageContaining("nothing was changed").hasMessageContaining("inherited constraint");
        assertThat(BackupTesting.count(cluster, "empty_target", "credits.transactions")).isZero();
        BackupTesting.dropDatabase(cluster, "empty_target");
    }

    @Test
    void aFailedRestoreDropsTheDatabaseItCreated() throws Exception {
        BackupManager manager = manager(BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "fail")).globals(false));
        BackupInfo backup = manager.backup();
        // The restore creates never_created, then fails for real: the table asked for is not in the backup.
        assertThatThrownBy(() -> manager.restore(backup.path(), RestoreOptions.builder().targetDatabase("never_created")
                .table("credits.nope").build()))
                .hasMessageContaining("credits.nope is not in the backup");
        assertThat(BackupTesting.databaseExists(CLUSTER.cluster(), "never_created")).isFalse();
    }

    @Test
    void restoresOneTableWithItsIndexesAndOneSchema() throws Exception {
        BackupManager manager = manager(BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "partial")));
        BackupInfo backup = manager.backup();

        RestoreResult table = manager.restore(backup.path(), RestoreOptions.builder().targetDatabase("one_table")
                .table("credits.transactions").build());
        assertThat(BackupTesting.count(CLUSTER.cluster(), "one_table", "credits.transactions")).isEqualTo(sourceCounts.get("credits.transactions"));
        assertThat(BackupTesting.rowCounts(CLUSTER.cluster(), "one_table")).containsOnlyKeys("credits.transactions");
        List<String> indexes = new ArrayList<>();
        try (var c = CLUSTER.cluster().primary().connect("one_table"); var s = c.createStatement();
             var rs = s.executeQuery("SELECT indexname FROM pg_indexes WHERE schemaname = 'credits' ORDER BY 1")) {
            while (rs.next()) {
                indexes.add(rs.getString(1));
            }
        }
        assertThat(indexes).containsExactly("transactions_credit_idx", "transactions_pkey");
        assertThat(table.leftOut()).anySatisfy(l -> assertThat(l).startsWith("FK CONSTRAINT credits transactions"));
        // the sequence came along and continues after the restored rows
        BackupTesting.sql(CLUSTER.cluster(), "one_table", "INSERT INTO credits.transactions (credit_id, type, amount) "
                + "VALUES (gen_random_uuid(), 'credit', 1)");

        manager.restore(backup.path(), RestoreOptions.builder().targetDatabase("one_schema").schema("shadow").build());
        assertThat(BackupTesting.rowCounts(CLUSTER.cluster(), "one_schema")).containsOnlyKeys("shadow.evaluations");
        assertThat(BackupTesting.count(CLUSTER.cluster(), "one_schema", "shadow.divergence_summary")).isPositive();
        BackupTesting.dropDatabase(CLUSTER.cluster(), "one_table");
        BackupTesting.dropDatabase(CLUSTER.cluster(), "one_schema");
    }

    @Test
    void namesWithSpacesQuotesAndLeadingDashesArePassedSafely() throws Exception {
        Path dir = BackupTesting.folder(tmp, "-dir with 'quotes' and \"spaces\"");
        BackupManager manager = manager(BackupConfig.builder().backupDir(dir).format(BackupFormat.DIRECTORY).parallelJobs(2));
        BackupInfo backup = manager.backup();
        assertThat(backup.path().getParent()).isEqualTo(dir.toAbsolutePath());

        String target = "-c 'x' \"y\" dbname=postgres";
        RestoreResult r = manager.restore(backup.path(), RestoreOptions.builder().targetDatabase(target).build());
        assertThat(r.createdDatabase()).isTrue();
        assertThat(BackupTesting.rowCounts(CLUSTER.cluster(), target)).isEqualTo(sourceCounts);
        // the postgres database was not the target, whatever the name looked like
        assertThat(BackupTesting.rowCounts(CLUSTER.cluster(), "postgres")).doesNotContainKey("credits.transactions");
        BackupTesting.dropDatabase(CLUSTER.cluster(), target);
    }

    @Test
    void rolePasswordHashesAreKeptOnlyInFilesTheOwnerAloneReads() throws Exception {
        BackupManager manager = manager(BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "hashes")).format(BackupFormat.DIRECTORY)
                .globals(true).rolePasswords(true).verifyAfterBackup(VerifyLevel.CHECKSUMS));
        BackupInfo backup = manager.backup();
        Path globals = backup.manifestPath().resolveSibling(backup.manifest().files().globals());
        assertThat(Files.readString(globals)).contains("SCRAM-SHA-256$");
        assertThat(mode(globals)).isEqualTo("rw-------");
        assertThat(mode(backup.path())).isEqualTo("rwx------");
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void globalsAreSavedBesideTheBackupAndRestoredOnRequest() throws Exception {
        BackupTesting.sql(CLUSTER.cluster(), "postgres", "CREATE ROLE report_reader NOLOGIN");
        BackupTesting.sql(CLUSTER.cluster(), SOURCE, "GRANT USAGE ON SCHEMA shadow TO report_reader",
                "GRANT SELECT ON shadow.evaluations TO report_reader");
        BackupManager manager = manager(BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "globals")).globals(true));
        BackupInfo backup = manager.backup();
        assertThat(backup.manifest().files().globals()).endsWith(".globals.sql");
        assertThat(backup.manifest().files().entries()).hasSize(2);
        Path globals = backup.manifestPath().resolveSibling(backup.manifest().files().globals());
        assertThat(Files.readString(globals)).contains("CREATE ROLE report_reader").doesNotContain("SCRAM-SHA-256$");
        assertThat(mode(globals)).isEqualTo("rw-------");
        assertThat(mode(backup.path())).isEqualTo("rw-------");

        BackupTesting.sql(CLUSTER.cluster(), SOURCE, "REVOKE ALL ON shadow.evaluations FROM report_reader",
                "REVOKE ALL ON SCHEMA shadow FROM report_reader");
        BackupTesting.sql(CLUSTER.cluster(), "postgres", "DROP ROLE report_reader");
        manager.restore(backup.path(), RestoreOptions.builder().targetDatabase("with_roles").globals(true).build());
        try (var c = CLUSTER.cluster().primary().connect("with_roles"); var s = c.createStatement();
             var rs = s.executeQuery("SELECT has_table_privilege('report_reader', 'shadow.evaluations', 'SELECT')")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
        }
        BackupTesting.dropDatabase(CLUSTER.cluster(), "with_roles");
    }
}
