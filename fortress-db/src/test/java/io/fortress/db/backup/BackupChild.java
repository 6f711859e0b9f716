package io.fortress.db.backup;

import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import java.nio.file.Path;
import java.time.Duration;

/** A separate JVM that takes one backup, so a test can kill the whole process mid-dump. Args: port user database dir; password in CHILD_PASSWORD. */
public final class BackupChild {
    private BackupChild() {
    }

    public static void main(String[] args) {
        DbConfig db = DbConfig.builder().host("127.0.0.1").port(Integer.parseInt(args[0])).user(args[1])
                .password(System.getenv("CHILD_PASSWORD")).database(args[2]).build();
        try (Database database = Database.open(db)) {
            BackupManager.create(database, BackupConfig.builder().backupDir(Path.of(args[3])).lockWaitTimeout(Duration.ZERO).build())
                    .backup();
        }
    }
}
