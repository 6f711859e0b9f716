package io.fortress.cli;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.db.DbConfig;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupSettings;
import java.nio.file.Path;
import java.util.Map;

/**
 * The database a command works on: the one the DB_* variables name when DB_HOST is set, otherwise
 * the embedded cluster in FORTRESS_DATA_DIR (a primary and two streaming replicas on 127.0.0.1),
 * started when needed.
 */
final class Target implements AutoCloseable {
    private final Map<String, String> environment;
    private final LocalCluster cluster;

    private Target(Map<String, String> environment, LocalCluster cluster) {
        this.environment = environment;
        this.cluster = cluster;
    }

    /** True when DB_HOST is unset, so commands use the embedded cluster. */
    static boolean embedded(Map<String, String> environment) {
        String host = environment.get("DB_HOST");
        return host == null || host.isBlank();
    }

    /**
     * Resolves the target; an embedded cluster that is not running is started. One-shot commands start it
     * detached (it keeps running for the next command; {@code fortress cluster stop} ends it); serve
     * starts it tied to itself, but leaves running a cluster that was running already.
     */
    static Target resolve(Map<String, String> environment, boolean forServe) {
        if (!embedded(environment)) {
            return new Target(environment, null);
        }
        LocalCluster cluster = EmbeddedCluster.builder(environment).detached(!forServe).stopOnExit(!forServe).build().start();
        return new Target(environment, cluster);
    }

    /** The database settings: DB_* as given, or pointing at the embedded cluster (other DB_* settings still apply). */
    DbConfig dbConfig() {
        if (cluster == null) {
            return DbConfig.fromEnv(environment);
        }
        return DbConfig.builder().applyEnv(environment)
                .host(Node.HOST).port(cluster.primary().port()).user(cluster.superuser()).password(null)
                .passwordFile(cluster.passwordFile()).database(cluster.database())
                .replicaHosts(cluster.replicas().stream().map(Node::address).toList())
                .build();
    }

    /** The backup settings; with the embedded cluster, BACKUP_DIR defaults to FORTRESS_DATA_DIR/backups. */
    BackupConfig backupConfig() {
        BackupConfig.Builder b = BackupConfig.builder().applyEnv(environment);
        String dir = environment.get(BackupSettings.BACKUP_DIR.variable());
        if (cluster != null && (dir == null || dir.isBlank())) {
            b.backupDir(EmbeddedCluster.dataDir(environment).resolve("backups"));
        }
        return b.build();
    }

    /** The embedded cluster, or null when DB_HOST names another. */
    LocalCluster cluster() {
        return cluster;
    }

    /** Where the data lives, for messages. */
    String describe() {
        return cluster == null ? "DB_HOST=" + environment.get("DB_HOST")
                : "embedded cluster in " + cluster.rootDirectory();
    }

    /** Stops what this target started (serve); a detached cluster keeps running. */
    @Override
    public void close() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    static Path dataDir(Map<String, String> environment) {
        return EmbeddedCluster.dataDir(environment);
    }
}
