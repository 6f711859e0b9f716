package io.fortress.db.migrate;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * What the database records, read in one snapshot.
 *
 * @param names              the schema and tables
 * @param versionTableExists whether golang-migrate's table exists
 * @param version            the version and dirty flag
 * @param history            fortress's history
 * @param schema             the fingerprint recorded at the current version and the schema's now, when the reader was
 *                           asked to compare them and one was recorded
 */
record DatabaseState(TableNames names, boolean versionTableExists, MigrationVersion version, HistoryLog history,
                     Optional<SchemaComparison> schema) {

    /** The fingerprint recorded at the version the schema is at (clean), and the schema's now. */
    record SchemaComparison(SchemaFingerprint.Recorded recorded, SortedMap<String, String> current) {
        /** Each object added, dropped or changed since the fingerprint was recorded; empty when none. */
        List<String> changes() {
            return SchemaFingerprint.differences(recorded.objects(), current);
        }
    }
}
