package io.fortress.db.migrate;

/**
 * What the database records, read in one snapshot.
 *
 * @param names              the schema and tables
 * @param versionTableExists whether golang-migrate's table exists
 * @param version            the version and dirty flag
 * @param history            fortress's history
 */
record DatabaseState(TableNames names, boolean versionTableExists, MigrationVersion version, HistoryLog history) {
}
