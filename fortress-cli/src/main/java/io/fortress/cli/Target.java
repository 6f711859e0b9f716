package io.fortress.cli;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.cluster.PatroniCluster;
import io.fortress.db.api.DbConfig;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupSettings;
import java.util.Map;

/**
 * The database a command works on: the one the DB_* variables name when DB_HOST is set, otherwise
 * the embedded cluster in FORTRESS_DATA_DIR (a primary and two streaming replicas on 127.0.0.1),
 * started when needed, or for {@code serve --ha} a Patroni-managed cluster that lives as long as serve,
 * or the Patroni cluster of {@code cluster start --ha} when DB_PATRONI_URL names it (as {@code cluster env} leaves it).
 */
final class Target implements AutoCloseable {
    private final Map<String, String> environment;
    private final LocalCluster cluster;
    private final PatroniCluster patroni;
    private final boolean stopOnClose;

    private Target(Map<String, String> environment, LocalCluster cluster, PatroniCluster patroni, boolean stopOnClose) {
        this.environment = environment;
        this.cluster = cluster;
        this.patroni = patroni;
        this.stopOnClose = stopOnClose;
    }

    /** Exported by {@code cluster env} with the cluster's folder: DB_HOST then names that embedded cluster. */
    static final String CLUSTER_ENV_MARKER = "FORTRESS_CLUSTER_ENV";

    /**
     * True when commands use the embedded cluster: DB_HOST and DB_PATRONI_URL are unset, or DB_HOST and
     * DB_PORT name the embedded cluster's own primary (as {@code eval "$(fortress cluster env)"} leaves them),
     * which is then started as needed like when DB_HOST is unset.
     */
    static boolean embedded(Map<String, String> environment) {
        if (!blank(environment.get("DB_PATRONI_URL"))) {
            return false; // Patroni lists the servers: the embedded cluster is not meant, whatever DB_HOST says
        }
        String host = environment.get("DB_HOST");
        return host == null || host.isBlank() || namesEmbeddedCluster(environment);
    }

    private static boolean namesEmbeddedCluster(Map<String, String> environment) {
        String host = environment.get("DB_HOST").strip();
        if (!host.equals(Node.HOST) && !host.equals("localhost")) {
            return false;
        }
        String port = environment.getOrDefault("DB_PORT", "5432").strip();
        LocalCluster cluster = EmbeddedCluster.builder(environment).build();
        try {
            if (!cluster.exists()) {
                return false;
            }
            cluster.inspect();
        } catch (RuntimeException unreadable) {
            return false; // a damaged cluster folder must not take DB_HOST from a local server of the user's own
        }
        // every login setting that cluster env exports must still be its own: DB_NAME=myapp means the user's database
        return Integer.toString(cluster.primary().port()).equals(port)
                && sameOrUnset(environment, "DB_USER", cluster.superuser())
                && sameOrUnset(environment, "DB_NAME", cluster.database())
                && sameOrUnset(environment, "DB_REPLICA_HOSTS", cluster.replicaAddresses());
    }

    /**
     * The Patroni cluster of {@code cluster start --ha} in FORTRESS_DATA_DIR when DB_PATRONI_URL names exactly its
     * members' REST APIs and DB_USER and DB_NAME are its own or unset (as {@code cluster env} leaves them).
     */
    private static java.util.Optional<PatroniCluster> namedHaCluster(Map<String, String> environment) {
        String urls = environment.get("DB_PATRONI_URL");
        if (blank(urls) || !EmbeddedCluster.haExists(environment)) {
            return java.util.Optional.empty();
        }
        PatroniCluster cluster;
        try {
            cluster = EmbeddedCluster.ha(environment);
        } catch (RuntimeException unreadable) {
            return java.util.Optional.empty(); // a damaged folder must not take DB_PATRONI_URL from the user's own cluster
        }
        java.util.Set<String> named = java.util.Arrays.stream(urls.split(",")).map(String::strip)
                .map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u).collect(java.util.stream.Collectors.toSet());
        boolean same = named.equals(java.util.Set.copyOf(cluster.restUrls()))
                && sameOrUnset(environment, "DB_USER", cluster.user()) && sameOrUnset(environment, "DB_NAME", cluster.database());
        return same ? java.util.Optional.of(cluster) : java.util.Optional.empty();
    }

    private static boolean sameOrUnset(Map<String, String> environment, String variable, String value) {
        String set = environment.get(variable);
        return set == null || set.isBlank() || set.strip().equals(value);
    }

    /**
     * A hint for a failure to reach DB_HOST: where the setting came from, when the marker tells, and how
     * to go back to the embedded cluster. Empty when DB_HOST is unset.
     */
    static String unreachableHint(Map<String, String> environment) {
        String host = environment.get("DB_HOST");
        String marker = environment.get(CLUSTER_ENV_MARKER);
        if (!blank(environment.get("DB_PATRONI_URL")) && !blank(marker)) {
            return "; DB_PATRONI_URL came from eval \"$(bin/fortress cluster env)\" for the Patroni cluster in " + marker + ", which is "
                    + "stopped, gone, or no longer in FORTRESS_DATA_DIR: start it with bin/fortress cluster start --ha, or run unset "
                    + "DB_PATRONI_URL DB_USER DB_NAME " + CLUSTER_ENV_MARKER + " to stop using it";
        }
        if (host == null || host.isBlank()) {
            return "";
        }
        if (marker != null && !marker.isBlank()) {
            return "; DB_HOST came from eval \"$(bin/fortress cluster env)\" for the cluster in " + marker + ", which FORTRESS_DATA_DIR no "
                    + "longer names or which is gone: run unset DB_HOST DB_PORT DB_USER DB_NAME DB_REPLICA_HOSTS DB_POOLER DB_DIRECT_HOSTS "
                    + CLUSTER_ENV_MARKER
                    + " to use the embedded cluster of FORTRESS_DATA_DIR again";
        }
        return "; DB_HOST=" + host + " is set in the environment, so the embedded cluster is not used: unset DB_HOST (and the "
                + "other DB_* variables) to use it";
    }

    /** What a command may do to the embedded cluster. */
    enum Use {
        /** serve: start every stopped node, tied to this process; nodes already running are left running on exit. */
        SERVE,
        /** serve --ha: a Patroni-managed cluster (etcd and three members) started for this process and thrown away at its end. */
        SERVE_HA,
        /**
         * One-shot commands that change something (migrate up, backup create...): start the cluster (detached, it keeps
         * running) only when none of its nodes runs, and say so on stderr with the command that stops it.
         */
        START_IF_STOPPED,
        /** One-shot commands that only read (migrate status, backup list...): use a running cluster; never create or start one. */
        READ_ONLY,
        /** Look only (health): a stopped node is reported, not started. */
        AS_IS
    }

    /** Resolves the target for a command that uses the embedded cluster as {@code use} says; notices go to {@code err}. */
    static Target resolve(Map<String, String> environment, Use use, java.io.PrintWriter err) {
        if (use == Use.SERVE_HA) {
            if (!embedded(environment) || !blank(environment.get("DB_PATRONI_URL"))) {
                throw new IllegalArgumentException("--ha runs a Patroni cluster of its own, but DB_HOST or DB_PATRONI_URL names "
                        + "another database; unset them, or leave out --ha");
            }
            PatroniCluster.requireInstalled();
            return new Target(environment, null, PatroniCluster.builder().members(3).database("fortress").start(), true);
        }
        java.util.Optional<PatroniCluster> ha = namedHaCluster(environment);
        if (ha.isPresent()) {
            if (use != Use.AS_IS && !ha.get().isRunning()) {
                throw new IllegalStateException("DB_PATRONI_URL names the Patroni cluster in " + ha.get().rootDirectory() + ", which is "
                        + (ha.get().isAnyRunning() ? "partly stopped" : "stopped") + "; start it with bin/fortress cluster start --ha "
                        + "(this command starts none)");
            }
            return new Target(environment, null, ha.get(), false);
        }
        if (!embedded(environment)) {
            return new Target(environment, null, null, false);
        }
        if (EmbeddedCluster.haExists(environment)) {
            throw new IllegalStateException("FORTRESS_DATA_DIR (" + EmbeddedCluster.dataDir(environment) + ") holds a Patroni cluster, "
                    + "made by bin/fortress cluster start --ha, in " + EmbeddedCluster.haDir(environment) + "; with DB_HOST and "
                    + "DB_PATRONI_URL unset this command would use the embedded cluster, which cannot share that data directory: "
                    + "run eval \"$(bin/fortress cluster env)\" to point fortress at the Patroni cluster, or set FORTRESS_DATA_DIR "
                    + "to another folder for the embedded cluster");
        }
        LocalCluster.Builder builder = EmbeddedCluster.builder(environment);
        if (use == Use.SERVE) {
            return new Target(environment, builder.stopOnExit(false).build().start(), null, true);
        }
        LocalCluster existing = builder.build();
        boolean exists = existing.exists();
        if (exists) {
            existing.inspect();
            if (use == Use.AS_IS || existing.nodes().stream().anyMatch(Node::isRunning)) {
                return new Target(environment, existing, null, false);
            }
        }
        if (use == Use.AS_IS || use == Use.READ_ONLY) {
            throw new IllegalStateException((exists ? "the embedded cluster in " + EmbeddedCluster.clusterDir(environment) + " is stopped"
                    : "there is no embedded cluster in " + EmbeddedCluster.clusterDir(environment)) + ", and this command only reads, "
                    + "so it starts none; start it with bin/fortress cluster start (stop it again with bin/fortress cluster stop) "
                    + "or run bin/fortress serve, or set DB_HOST to use another database");
        }
        LocalCluster started = builder.detached(true).build().start();
        err.println("fortress: " + (exists ? "started the embedded cluster" : "created and started an embedded cluster") + " in "
                + started.rootDirectory() + " for this command; it keeps running (stop it with: bin/fortress cluster stop)");
        err.flush();
        return new Target(environment, started, null, false);
    }

    /** The database settings: DB_* as given, or pointing at the embedded cluster (other DB_* settings still apply). */
    DbConfig dbConfig() {
        if (patroni != null) {
            return DbConfig.builder().applyEnv(environment).patroniUrls(patroni.restUrls().toArray(String[]::new))
                    .user(patroni.user()).password(patroni.password()).passwordFile(null).database(patroni.database()).build();
        }
        if (cluster == null) {
            return DbConfig.fromEnv(environment);
        }
        return DbConfig.builder().applyEnv(environment)
                .host(Node.HOST).port(cluster.primary().port()).user(cluster.superuser()).password(null)
                .passwordFile(cluster.passwordFile()).database(cluster.database())
                .replicaHosts(cluster.replicas().stream().map(Node::address).toList())
                .build();
    }

    /**
     * The backup settings; with the embedded cluster, BACKUP_DIR defaults to FORTRESS_DATA_DIR/backups,
     * BACKUP_PITR_REPO_PATH to FORTRESS_DATA_DIR/pitr-repo, and base backups are taken from its first replica.
     */
    BackupConfig backupConfig() {
        BackupConfig.Builder b = BackupConfig.builder().applyEnv(environment);
        if ((cluster != null || patroni != null) && blank(environment.get(BackupSettings.BACKUP_DIR.variable()))) {
            b.backupDir(EmbeddedCluster.dataDir(environment).resolve("backups"));
        }
        if (cluster != null && blank(environment.get(BackupSettings.PITR_REPO_PATH.variable()))) {
            b.pitrRepoPath(EmbeddedCluster.dataDir(environment).toAbsolutePath().resolve("pitr-repo"));
        }
        if (cluster != null && !cluster.replicas().isEmpty() && blank(environment.get(BackupSettings.PITR_STANDBY_DIR.variable()))
                && blank(environment.get(BackupSettings.PITR_STANDBY_PORT.variable()))) {
            b.pitrStandbyDir(cluster.replica(1).dataDirectory()).pitrStandbyPort(cluster.replica(1).port());
        }
        return b.build();
    }

    /** Restarts the embedded cluster's primary (archive_mode takes effect only at a start); empty for a server fortress does not manage. */
    java.util.Optional<Runnable> primaryRestart() {
        return cluster == null ? java.util.Optional.empty() : java.util.Optional.of(() -> cluster.primary().restart());
    }

    /** Where the data lives, for messages. */
    String describe() {
        if (patroni != null && patroni.isDetached()) {
            return "Patroni cluster of bin/fortress cluster start --ha (etcd and " + patroni.restUrls().size() + " members, REST APIs "
                    + String.join(" ", patroni.restUrls()) + ") in " + patroni.rootDirectory();
        }
        if (patroni != null) {
            return "Patroni cluster (etcd and 3 members, REST APIs " + String.join(" ", patroni.restUrls()) + ") in "
                    + patroni.rootDirectory() + ", thrown away at exit";
        }
        return cluster == null ? "DB_HOST=" + environment.get("DB_HOST")
                : "embedded cluster in " + cluster.rootDirectory();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /** Stops the nodes serve started; one-shot commands leave the cluster running for the next command. */
    @Override
    public void close() {
        if (cluster != null && stopOnClose) {
            cluster.stop();
        }
        if (patroni != null && stopOnClose) {
            patroni.close(); // serve --ha's own; the cluster of cluster start --ha keeps running
        }
    }
}
