package io.fortress.cli;

import io.fortress.cluster.LocalCluster;
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

    /** A builder for the embedded cluster (persistent; ports, data and password kept between runs). */
    static LocalCluster.Builder builder(Map<String, String> environment) {
        return LocalCluster.builder().replicas(REPLICAS).dataDirectory(clusterDir(environment));
    }
}
