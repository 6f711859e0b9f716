package io.fortress.db.migrate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * golang-migrate's advisory-lock key ({@code database.GenerateAdvisoryLockId}): the CRC-32 (IEEE) of
 * the names joined by NUL, the extra names first and the database name last, times 1486364155,
 * modulo 2^32. Its PostgreSQL driver passes (database, schema, table), so the joined text is
 * {@code schema\0table\0database}; the key goes to the bigint form of {@code pg_advisory_lock}.
 */
final class AdvisoryLockKey {
    private static final long SALT = 1486364155L;

    private AdvisoryLockKey() {
    }

    static long of(String databaseName, String... additionalNames) {
        List<String> parts = new ArrayList<>(List.of(additionalNames));
        parts.add(databaseName);
        CRC32 crc = new CRC32();
        crc.update(String.join("\0", parts).getBytes(StandardCharsets.UTF_8));
        return (crc.getValue() * SALT) & 0xFFFF_FFFFL;
    }

    /** The key golang-migrate's PostgreSQL driver locks for a migrations table. */
    static long forTable(String databaseName, String schema, String table) {
        return of(databaseName, schema, table);
    }
}
