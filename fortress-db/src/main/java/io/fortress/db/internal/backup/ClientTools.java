package io.fortress.db.internal.backup;

import java.nio.file.Path;

/**
 * The PostgreSQL client tools chosen for one server: pg_dump, pg_restore, pg_dumpall and psql from
 * one folder, of one version.
 */
public record ClientTools(Path binDir, PgVersion version) {

    public String pgDump() {
        return binDir.resolve("pg_dump").toString();
    }

    public String pgRestore() {
        return binDir.resolve("pg_restore").toString();
    }

    public String pgDumpAll() {
        return binDir.resolve("pg_dumpall").toString();
    }

    public String psql() {
        return binDir.resolve("psql").toString();
    }

    /** e.g. {@code pg_dump 15.18 (Debian 15.18-0+deb12u1) in /usr/lib/postgresql/15/bin}. */
    public String describe(String tool) {
        return tool + " " + version.text() + " in " + binDir;
    }
}
