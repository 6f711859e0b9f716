package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.db.api.DbConfigException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Migration settings follow the Setting pattern: defaults, environment variables, clear refusals. */
class MigrationConfigTest {

    @Test
    void defaults() {
        MigrationConfig c = MigrationConfig.defaults();
        assertThat(c.schema()).isEmpty();
        assertThat(c.table()).isEqualTo("schema_migrations");
        assertThat(c.historyTable()).isEqualTo("schema_migrations_history");
        assertThat(c.lockTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.lockKeys()).isEqualTo(LockKeys.BOTH);
        assertThat(c.statementTimeout()).isZero();
        assertThat(c.allowMissingDown()).isFalse();
        assertThat(c.toString()).contains("schema=(unset)", "lockTimeout=2m", "lockKeys=both");
    }

    @Test
    void readsTheEnvironment() {
        MigrationConfig c = MigrationConfig.fromEnv(Map.of("DB_MIGRATE_SCHEMA", "credits", "DB_MIGRATE_LOCK_TIMEOUT", "1m30s",
                "DB_MIGRATE_LOCK_KEYS", "CLI", "DB_MIGRATE_STATEMENT_LOCK_TIMEOUT", "5s", "DB_MIGRATE_ALLOW_MISSING_DOWN", "true",
                "DB_MIGRATE_TABLE", " "));
        assertThat(c.schema()).contains("credits");
        assertThat(c.lockTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.lockKeys()).isEqualTo(LockKeys.CLI);
        assertThat(c.statementLockTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.allowMissingDown()).isTrue();
        assertThat(c.table()).isEqualTo("schema_migrations");
        assertThat(MigrationConfig.forSchema("shadow").toBuilder().lockTimeout(Duration.ZERO).build().schema()).contains("shadow");
    }

    @Test
    void refusesBadValuesNamingTheVariable() {
        assertThatThrownBy(() -> MigrationConfig.fromEnv(Map.of("DB_MIGRATE_LOCK_TIMEOUT", "30")))
                .isInstanceOf(DbConfigException.class).hasMessageContaining("DB_MIGRATE_LOCK_TIMEOUT=30 is invalid")
                .hasMessageContaining("add one of ns, us, ms, s, m, h");
        assertThatThrownBy(() -> MigrationConfig.fromEnv(Map.of("DB_MIGRATE_LOCK_KEYS", "all")))
                .hasMessageContaining("DB_MIGRATE_LOCK_KEYS=all is invalid").hasMessageContaining("one of both, cli, library");
        assertThatThrownBy(() -> MigrationConfig.fromEnv(Map.of("DB_MIGRATE_STATEMENT_TIMEOUT", "-1s")))
                .hasMessageContaining("DB_MIGRATE_STATEMENT_TIMEOUT=-1s is invalid");
        assertThatThrownBy(() -> MigrationConfig.builder().table("t".repeat(56)).build())
                .isInstanceOf(DbConfigException.class).hasMessageContaining("a PostgreSQL name of 1 to 55 bytes");
        assertThatThrownBy(() -> MigrationConfig.builder().schema("").build()).hasMessageContaining("schema =  is invalid");
        assertThatThrownBy(() -> MigrationConfig.builder().lockTimeout(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("lockTimeout = -1s is invalid");
    }

    @Test
    void serverTimeoutsRefuseWhatTheServerWouldRoundRatherThanTurnItIntoNoLimit() {
        // PostgreSQL takes whole milliseconds: 500us would become 0, which means no limit at all
        assertThatThrownBy(() -> MigrationConfig.fromEnv(Map.of("DB_MIGRATE_STATEMENT_LOCK_TIMEOUT", "500us")))
                .isInstanceOf(DbConfigException.class)
                .hasMessageContaining("DB_MIGRATE_STATEMENT_LOCK_TIMEOUT=500us is invalid: expected 0 (no limit) or from 1ms to 596h "
                        + "in whole milliseconds");
        assertThatThrownBy(() -> MigrationConfig.builder().statementTimeout(Duration.ofNanos(1_500_000)).build())
                .isInstanceOf(DbConfigException.class).hasMessageContaining("statementTimeout = ")
                .hasMessageContaining("(environment variable DB_MIGRATE_STATEMENT_TIMEOUT)");
        assertThatThrownBy(() -> MigrationConfig.builder().nonTransactionalLockTimeout(Duration.ofHours(597)).build())
                .hasMessageContaining("nonTransactionalLockTimeout = 597h is invalid");
        MigrationConfig ok = MigrationConfig.fromEnv(Map.of("DB_MIGRATE_STATEMENT_TIMEOUT", "1ms",
                "DB_MIGRATE_STATEMENT_LOCK_TIMEOUT", "0", "DB_MIGRATE_NON_TX_LOCK_TIMEOUT", "596h"));
        assertThat(ok.statementTimeout()).isEqualTo(Duration.ofMillis(1));
        assertThat(ok.statementLockTimeout()).isZero();
        assertThat(ok.nonTransactionalLockTimeout()).isEqualTo(Duration.ofHours(596));
    }
}
