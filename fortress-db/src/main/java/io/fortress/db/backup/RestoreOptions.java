package io.fortress.db.backup;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How {@link BackupManager#restore(java.nio.file.Path, RestoreOptions)} restores.
 *
 * <p>By default a backup is restored into the manager's database only when that database does not
 * exist yet (it is created from template0) or is empty, as in
 * {@code DB_NAME=test_restore ... restore <file>}. Name another target with
 * {@link Builder#targetDatabase(String)}. Replacing the objects of a database that has some needs
 * {@link Builder#force(boolean)}: pg_restore then drops each object before recreating it
 * ({@code --clean --if-exists}), in one transaction when restoring with one job.
 */
public final class RestoreOptions {
    private final String targetDatabase;
    private final boolean force;
    private final Integer jobs;
    private final List<String> schemas;
    private final List<TableName> tables;
    private final boolean globals;
    private final boolean noOwner;
    private final boolean noPrivileges;
    private final boolean analyze;

    private RestoreOptions(Builder b) {
        this.targetDatabase = b.targetDatabase;
        this.force = b.force;
        this.jobs = b.jobs;
        this.schemas = List.copyOf(b.schemas);
        this.tables = List.copyOf(b.tables);
        this.globals = b.globals;
        this.noOwner = b.noOwner;
        this.noPrivileges = b.noPrivileges;
        this.analyze = b.analyze;
    }

    /** Restore everything into the manager's database, which must not exist or be empty. */
    public static RestoreOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A {@code schema.table} name. */
    public record TableName(String schema, String name) {
        /**
         * Parses {@code schema.table}; the first dot separates them.
         *
         * @throws IllegalArgumentException when there is no schema part
         */
        public static TableName parse(String text) {
            int dot = text == null ? -1 : text.indexOf('.');
            if (dot <= 0 || dot == text.length() - 1) {
                throw new IllegalArgumentException("table '" + text + "' must be given as schema.table, e.g. credits.transactions");
            }
            return new TableName(text.substring(0, dot), text.substring(dot + 1));
        }

        @Override
        public String toString() {
            return schema + "." + name;
        }
    }

    public Optional<String> targetDatabase() {
        return Optional.ofNullable(targetDatabase);
    }

    public boolean force() {
        return force;
    }

    /** pg_restore jobs; empty to use the configuration's parallelJobs. */
    public Optional<Integer> jobs() {
        return Optional.ofNullable(jobs);
    }

    public List<String> schemas() {
        return schemas;
    }

    public List<TableName> tables() {
        return tables;
    }

    public boolean globals() {
        return globals;
    }

    public boolean noOwner() {
        return noOwner;
    }

    public boolean noPrivileges() {
        return noPrivileges;
    }

    public boolean analyze() {
        return analyze;
    }

    public static final class Builder {
        private String targetDatabase;
        private boolean force;
        private Integer jobs;
        private final List<String> schemas = new ArrayList<>();
        private final List<TableName> tables = new ArrayList<>();
        private boolean globals;
        private boolean noOwner;
        private boolean noPrivileges;
        private boolean analyze = true;

        private Builder() {
        }

        /** The database to restore into instead of the manager's; created when it does not exist. */
        public Builder targetDatabase(String name) {
            if (name != null && (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63)) {
                throw new IllegalArgumentException("target database name must have 1 to 63 bytes, was '" + name + "'");
            }
            this.targetDatabase = name;
            return this;
        }

        /** Replace the objects of a database that already has some (pg_restore --clean --if-exists). */
        public Builder force(boolean force) {
            this.force = force;
            return this;
        }

        public Builder jobs(int jobs) {
            if (jobs < 1 || jobs > 64) {
                throw new IllegalArgumentException("restore jobs must be from 1 to 64, was " + jobs);
            }
            this.jobs = jobs;
            return this;
        }

        /** Restore only this schema (repeatable); it is created when the target lacks it. */
        public Builder schema(String schema) {
            if (schema == null || schema.isBlank()) {
                throw new IllegalArgumentException("schema name must not be empty");
            }
            schemas.add(schema);
            return this;
        }

        /** Restore only this table (repeatable), with its indexes, constraints, triggers and sequences. */
        public Builder table(TableName table) {
            tables.add(table);
            return this;
        }

        public Builder table(String schemaDotTable) {
            return table(TableName.parse(schemaDotTable));
        }

        /** Also restore the roles and tablespaces saved with the backup (BACKUP_GLOBALS); needs a superuser. */
        public Builder globals(boolean globals) {
            this.globals = globals;
            return this;
        }

        /** Do not restore object owners: the restoring user owns everything (pg_restore --no-owner). */
        public Builder noOwner(boolean noOwner) {
            this.noOwner = noOwner;
            return this;
        }

        /** Do not restore privileges (pg_restore --no-privileges). */
        public Builder noPrivileges(boolean noPrivileges) {
            this.noPrivileges = noPrivileges;
            return this;
        }

        /** Run ANALYZE on the target afterwards so the planner has statistics (default true). */
        public Builder analyze(boolean analyze) {
            this.analyze = analyze;
            return this;
        }

        public RestoreOptions build() {
            return new RestoreOptions(this);
        }
    }
}
