package io.fortress.cli;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.PatroniCluster;
import java.nio.file.Path;
import java.util.Map;

/** The embedded cluster's shape: a primary and two streaming replicas kept in FORTRESS_DATA_DIR/cluster. */
final class EmbeddedCluster {
    static final int REPLICAS = 2;

    private EmbeddedCluster() {
    }

    static Path dataDir(Map<String, String> environment) {
        return CliSettings.get(CliSettings.DATA_DIR, environment).toAbsolutePath().normalize();
    }

    static Path clusterDir(Map<String, String> environment) {
        return dataDir(environment).resolve("cluster");
    }

    /** Where {@code fortress cluster start --ha} keeps its Patroni cluster: FORTRESS_DATA_DIR/cluster-ha. */
    static Path haDir(Map<String, String> environment) {
        return dataDir(environment).resolve("cluster-ha");
    }

    /** True when FORTRESS_DATA_DIR holds a Patroni cluster made by {@code fortress cluster start --ha}. */
    static boolean haExists(Map<String, String> environment) {
        return PatroniCluster.exists(haDir(environment));
    }

    /** The data directory's Patroni cluster (made by {@code cluster start --ha}) as it is; starts nothing. */
    static PatroniCluster ha(Map<String, String> environment) {
        return PatroniCluster.inspect(haDir(environment));
    }

    /** Members of the Patroni cluster of {@code cluster start --ha}. */
    static final int HA_MEMBERS = 3;

    /** A builder for the embedded cluster (persistent; ports, data and password kept between runs). */
    static LocalCluster.Builder builder(Map<String, String> environment) {
        return LocalCluster.builder().replicas(REPLICAS).dataDirectory(clusterDir(environment));
    }
}
