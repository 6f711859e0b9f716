package io.fortress.db.migrate;

import java.nio.file.Path;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Started in separate JVMs by {@link MigrationLockTest}: autoMigrate against host, port, database,
 * user, schema and folder given as arguments; the password comes from PGPASSWORD, never an argument.
 */
public final class AutoMigrateMain {
    private AutoMigrateMain() {
    }

    public static void main(String[] args) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {args[0]});
        ds.setPortNumbers(new int[] {Integer.parseInt(args[1])});
        ds.setDatabaseName(args[2]);
        ds.setUser(args[3]);
        ds.setPassword(System.getenv("PGPASSWORD"));
        ds.setSslMode("disable");
        MigrationResult r = MigrationManager.autoMigrate(ds, MigrationSource.directory(Path.of(args[5])),
                MigrationConfig.forSchema(args[4]));
        System.out.println("RESULT applied=" + r.applied().size() + " to=" + r.toVersion());
    }
}
