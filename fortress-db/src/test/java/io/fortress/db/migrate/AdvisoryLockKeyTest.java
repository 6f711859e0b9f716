package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Research case B1: golang-migrate's GenerateAdvisoryLockId test vectors and its PostgreSQL defaults. */
class AdvisoryLockKeyTest {

    @Test
    void matchesGolangMigrateTestVectors() {
        assertThat(AdvisoryLockKey.of("database_name")).isEqualTo(1764327054L);
        assertThat(AdvisoryLockKey.of("database_name", "schema_name_1")).isEqualTo(2453313553L);
        assertThat(AdvisoryLockKey.of("database_name", "schema_name_2")).isEqualTo(235207038L);
        assertThat(AdvisoryLockKey.of("database_name", "schema_name_1", "schema_name_2")).isEqualTo(3743845847L);
    }

    @Test
    void matchesThePostgresDriverKeysForTheDefaultTable() {
        assertThat(AdvisoryLockKey.forTable("/mydb", "public", "schema_migrations")).isEqualTo(616192132L);
        assertThat(AdvisoryLockKey.forTable("mydb", "public", "schema_migrations")).isEqualTo(2103762914L);
        assertThat(AdvisoryLockKey.forTable("/postgres", "public", "schema_migrations")).isEqualTo(3280485947L);
        assertThat(AdvisoryLockKey.forTable("postgres", "public", "schema_migrations")).isEqualTo(143310882L);
    }

    @Test
    void bothKeysAreTakenInAscendingOrder() {
        TableNames names = new TableNames("public", "schema_migrations", "schema_migrations_history");
        assertThat(MigrationLock.keys(LockKeys.BOTH, "mydb", names)).containsExactly(616192132L, 2103762914L);
        assertThat(MigrationLock.keys(LockKeys.CLI, "mydb", names)).containsExactly(616192132L);
        assertThat(MigrationLock.keys(LockKeys.LIBRARY, "mydb", names)).isEqualTo(List.of(2103762914L));
    }
}
