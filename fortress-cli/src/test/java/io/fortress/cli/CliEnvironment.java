package io.fortress.cli;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.util.HashMap;
import java.util.Map;

/** The DB_* and backup variables that point the CLI at a LocalCluster. */
final class CliEnvironment {
    private CliEnvironment() {
    }

    static Map<String, String> of(LocalCluster cluster, String database, String backupDir) {
        Map<String, String> env = new HashMap<>();
        env.put("DB_HOST", Node.HOST);
        env.put("DB_PORT", Integer.toString(cluster.primary().port()));
        env.put("DB_USER", cluster.superuser());
        env.put("PGPASSWORD", cluster.password());
        env.put("DB_NAME", database);
        env.put("BACKUP_DIR", backupDir);
        return env;
    }
}
