package io.fortress.db.migrate;

import io.fortress.db.api.Setting;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Every setting of {@link MigrationConfig}, each defined once with its environment variable,
 * default, accepted values and meaning. docs/configuration.md lists the same table (Migration settings).
 */
public final class MigrationSettings {
    private MigrationSettings() {
    }

    public static final Setting<String> SCHEMA = Setting.of("schema", "DB_MIGRATE_SCHEMA", null, s -> s,
            s -> identifier(s, 63), "a PostgreSQL name of 1 to 63 bytes",
            "schema the migrations run in (their search_path) and that holds schema_migrations and its history; created when "
                    + "missing; unset: the connection's current_schema()");
    public static final Setting<String> TABLE = Setting.of("table", "DB_MIGRATE_TABLE", "schema_migrations", s -> s,
            s -> identifier(s, 55), "a PostgreSQL name of 1 to 55 bytes",
            "golang-migrate's version table (its x-migrations-table); the history table is this name plus _history");
    public static final Setting<Duration> LOCK_TIMEOUT = Setting.duration("lockTimeout", "DB_MIGRATE_LOCK_TIMEOUT",
            Duration.ofMinutes(2), d -> !d.isNegative(), "0 (try once) or a positive duration",
            "how long to wait for the migration lock while another migrator holds it, polling pg_try_advisory_lock "
                    + "(never blocking in pg_advisory_lock)");
    public static final Setting<LockKeys> LOCK_KEYS = Setting.of("lockKeys", "DB_MIGRATE_LOCK_KEYS", LockKeys.BOTH, LockKeys::parse,
            k -> true, "one of " + LockKeys.names(),
            "golang-migrate advisory-lock keys to take: the CLI's (database name with a leading slash), the Go library's "
                    + "(current_database()), or both");
    public static final Setting<Duration> STATEMENT_TIMEOUT = Setting.serverTimeout("statementTimeout", "DB_MIGRATE_STATEMENT_TIMEOUT",
            "statement_timeout of each migration statement; replaces DB_STATEMENT_TIMEOUT, which is meant for application queries");
    public static final Setting<Duration> STATEMENT_LOCK_TIMEOUT = Setting.serverTimeout("statementLockTimeout",
            "DB_MIGRATE_STATEMENT_LOCK_TIMEOUT",
            "lock_timeout of migrations that run in a transaction: a migration waiting longer for a table lock fails "
                    + "(SQLSTATE 55P03) and leaves the previous version, instead of queueing the application's queries behind it");
    public static final Setting<Duration> NON_TRANSACTIONAL_LOCK_TIMEOUT = Setting.serverTimeout("nonTransactionalLockTimeout",
            "DB_MIGRATE_NON_TX_LOCK_TIMEOUT",
            "lock_timeout of statements run outside a transaction; CREATE INDEX CONCURRENTLY waits under it for older "
                    + "transactions to end, so keep it longer than statementLockTimeout");
    public static final Setting<Boolean> ALLOW_MISSING_DOWN = Setting.bool("allowMissingDown", "DB_MIGRATE_ALLOW_MISSING_DOWN", false,
            "roll back over a version without a down file by moving the version without running anything, as golang-migrate "
                    + "does; when false such a rollback is refused before anything runs");

    /** Every setting, in the order docs and {@code toString} list them. */
    public static final List<Setting<?>> ALL = List.of(SCHEMA, TABLE, LOCK_TIMEOUT, LOCK_KEYS, STATEMENT_TIMEOUT,
            STATEMENT_LOCK_TIMEOUT, NON_TRANSACTIONAL_LOCK_TIMEOUT, ALLOW_MISSING_DOWN);

    private static boolean identifier(String name, int maxBytes) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        return bytes >= 1 && bytes <= maxBytes && name.indexOf('\0') < 0;
    }
}
