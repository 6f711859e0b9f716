package io.fortress.db.migrate;

/**
 * The schema and tables of one migrated service, and their quoted forms for SQL.
 *
 * @param schema  the schema (also the migrations' search_path)
 * @param table   golang-migrate's version table
 * @param history fortress's history table beside it
 */
record TableNames(String schema, String table, String history) {

    static TableNames of(String schema, MigrationConfig config) {
        return new TableNames(schema, config.table(), config.historyTable());
    }

    /** A name quoted as a PostgreSQL identifier. */
    static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    String quotedSchema() {
        return quote(schema);
    }

    String qualifiedTable() {
        return quote(schema) + "." + quote(table);
    }

    String qualifiedHistory() {
        return quote(schema) + "." + quote(history);
    }

    /** For messages: schema.table. */
    String display() {
        return schema + "." + table;
    }
}
