package io.fortress.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What a {@link LocalCluster} keeps in its folder: the names and ports of its nodes and the settings it was created
 * with ({@code cluster.properties}, no secrets), and the superuser's generated password ({@code password} and the
 * libpq {@code pgpass} file, both 0600). A persistent cluster reads them again on its next start.
 */
record ClusterState(Path root, String superuser, String database, int replicas, boolean tls) {
    private static final String STATE_FILE = "cluster.properties";
    private static final String PASSWORD_FILE = "password";
    private static final String PGPASS_FILE = "pgpass";

    /** True when the folder holds a cluster created earlier. */
    boolean exists() {
        return Files.exists(root.resolve(STATE_FILE));
    }

    Path passwordFile() {
        return root.resolve(PASSWORD_FILE);
    }

    Path pgpassFile() {
        return root.resolve(PGPASS_FILE);
    }

    /** Creates the folder (a persistent one is not there before its first start). */
    void createFolder() {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new ClusterException("cannot create the cluster folder: " + e.getMessage(), e);
        }
    }

    /** The servers' log files. */
    Path logFolder() {
        return root.resolve("logs");
    }

    /**
     * Prepares a new cluster's folder: 0700 and the server user's, with its log folder; generates the superuser's
     * password and writes the password and pgpass files (0600, the server user's); returns the password.
     */
    String create(ServerUser serverUser) {
        try {
            serverUser.own(root);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            Files.createDirectories(logFolder());
            serverUser.own(logFolder());
        } catch (IOException e) {
            throw new ClusterException("cannot prepare " + root + ": " + e.getMessage(), e);
        }
        String password = generatePassword();
        ClusterFiles.write(passwordFile(), password + "\n", "rw-------", serverUser);
        ClusterFiles.write(pgpassFile(), Node.HOST + ":*:*:" + escapePgpass(superuser) + ":" + escapePgpass(password) + "\n",
                "rw-------", serverUser);
        return password;
    }

    /** Records the settings and every node's port. */
    void save(List<Node> nodes) {
        Properties state = new Properties();
        state.setProperty("superuser", superuser);
        state.setProperty("database", database);
        state.setProperty("replicas", Integer.toString(replicas));
        state.setProperty("tls", Boolean.toString(tls));
        for (Node node : nodes) {
            state.setProperty(node.name() + ".port", Integer.toString(node.port()));
        }
        ClusterFiles.writeProperties(root.resolve(STATE_FILE), state, "fortress LocalCluster; ports and names of the nodes", "rw-r--r--", null);
    }

    /**
     * The port of every node by name (the primary, then replica-1, ...) as recorded, after checking that the cluster
     * was created with the same settings.
     */
    Map<String, Integer> ports() {
        Properties state = ClusterFiles.readProperties(root.resolve(STATE_FILE));
        String storedUser = state.getProperty("superuser");
        String storedDatabase = state.getProperty("database");
        int storedReplicas = Integer.parseInt(state.getProperty("replicas", "-1"));
        boolean storedTls = Boolean.parseBoolean(state.getProperty("tls", "false"));
        if (storedTls != tls) {
            throw new ClusterException("the cluster in " + root + " was created " + (storedTls ? "with" : "without")
                    + " TLS; build it with tls(" + storedTls + ") or use another data directory");
        }
        if (!superuser.equals(storedUser) || !database.equals(storedDatabase) || storedReplicas != replicas) {
            throw new ClusterException("the cluster in " + root + " was created with superuser " + storedUser + ", database "
                    + storedDatabase + " and " + storedReplicas + " replicas, not " + superuser + ", " + database + " and "
                    + replicas + "; use those settings or another data directory");
        }
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put("primary", Integer.parseInt(state.getProperty("primary.port")));
        for (int i = 1; i <= replicas; i++) {
            ports.put("replica-" + i, Integer.parseInt(state.getProperty("replica-" + i + ".port")));
        }
        return ports;
    }

    /** The superuser's password as the password file keeps it. */
    String password() {
        try {
            return Files.readString(passwordFile(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ClusterException("cannot read the cluster's password in " + root + ": " + e.getMessage(), e);
        }
    }

    /** 32 random letters and digits (no look-alikes): nothing to quote in a configuration file or a URL. */
    static String generatePassword() {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder(32);
        for (int i = 0; i < 32; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private static String escapePgpass(String value) {
        return value.replace("\\", "\\\\").replace(":", "\\:");
    }
}
