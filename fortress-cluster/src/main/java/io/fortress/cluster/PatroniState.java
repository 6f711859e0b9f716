package io.fortress.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The state file of a detached {@link PatroniCluster}: ports, names and passwords (0600), and the member that led last. */
final class PatroniState {
    private static final String FILE = "patroni.properties";

    private final Path root;
    private final Properties properties;

    private PatroniState(Path root, Properties properties) {
        this.root = root;
        this.properties = properties;
    }

    static boolean exists(Path root) {
        return Files.exists(root.resolve(FILE));
    }

    /**
     * The folder of a new cluster, 0700: {@code dataDirectory} (created, or empty before) for a detached one, a new
     * temporary folder when it is null.
     */
    static Path createFolder(Path dataDirectory) {
        try {
            Path root;
            if (dataDirectory != null) {
                root = dataDirectory.toAbsolutePath().normalize();
                if (exists(root)) {
                    throw new ClusterException("a Patroni cluster already exists in " + root + "; use PatroniCluster.inspect(dir) for it");
                }
                if (Files.isDirectory(root)) {
                    try (var entries = Files.list(root)) {
                        if (entries.findAny().isPresent()) {
                            throw new ClusterException("cannot create a Patroni cluster in " + root + ": the folder is not empty");
                        }
                    }
                }
                Files.createDirectories(root);
            } else {
                root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "fortress-patroni-");
            }
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            return root;
        } catch (IOException e) {
            throw new ClusterException("cannot create the cluster folder " + dataDirectory + ": " + e.getMessage(), e);
        }
    }

    /** The state of a new cluster; nothing is written until {@link #save}. */
    static PatroniState of(Path root, String database, boolean synchronousMode, String password, String replicationPassword,
                           Etcd etcd, List<PatroniMember> members) {
        PatroniState state = new PatroniState(root, new Properties()).set("database", database).set("synchronous_mode", synchronousMode)
                .set("password", password).set("replication_password", replicationPassword)
                .set("etcd.port", etcd.port).set("etcd.peer_port", etcd.peerPort).set("members", members.size());
        for (PatroniMember m : members) {
            state.set(m.name + ".pg_port", m.pgPort).set(m.name + ".rest_port", m.restPort);
        }
        return state;
    }

    /** The members as recorded (without their tags, which only their configuration files keep). */
    List<PatroniMember> members() {
        List<PatroniMember> members = new ArrayList<>();
        int count = requiredInt("members");
        for (int i = 1; i <= count; i++) {
            String name = "member-" + i;
            members.add(new PatroniMember(name, root, Map.of(), requiredInt(name + ".pg_port"), requiredInt(name + ".rest_port")));
        }
        return members;
    }

    static PatroniState read(Path root) {
        return new PatroniState(root, ClusterFiles.readProperties(root.resolve(FILE)));
    }

    PatroniState set(String key, Object value) {
        properties.setProperty(key, String.valueOf(value));
        return this;
    }

    String get(String key, String otherwise) {
        return properties.getProperty(key, otherwise);
    }

    /** The value, which a cluster's state always has: without it the state is damaged. */
    String required(String key) {
        String value = properties.getProperty(key);
        if (value == null) {
            throw new ClusterException("the Patroni cluster's state in " + root.resolve(FILE) + " lacks " + key
                    + "; it is damaged: stop what still runs and delete " + root);
        }
        return value;
    }

    int requiredInt(String key) {
        try {
            return Integer.parseInt(required(key));
        } catch (NumberFormatException e) {
            throw new ClusterException("the Patroni cluster's state in " + root.resolve(FILE) + " is damaged: " + e.getMessage(), e);
        }
    }

    void save(ServerUser user) {
        ClusterFiles.writeProperties(root.resolve(FILE), properties, "fortress PatroniCluster (fortress cluster start --ha): ports, names and passwords",
                "rw-------", user);
    }
}
