package io.fortress.cluster;

import java.nio.file.Path;
import java.util.Map;

/** One member of a {@link PatroniCluster}: its ports, files, Patroni agent and the PostgreSQL server the agent runs. */
final class PatroniMember {
    final String name;
    final int pgPort;
    final int restPort;
    final Map<String, Object> tags;
    final Path config;
    final Path dataDirectory;
    /** The agent, found through {@code <name>.pid}; it counts while its command line names its configuration file. */
    final ServerProcess agent;
    /**
     * The server, found through its postmaster.pid. Patroni starts it in a session of its own: it is no child of the
     * agent, and outlives a killed agent.
     */
    final ServerProcess postmaster;

    PatroniMember(String name, Path root, Map<String, Object> tags, int pgPort, int restPort) {
        this.name = name;
        this.tags = Map.copyOf(tags);
        this.pgPort = pgPort;
        this.restPort = restPort;
        this.config = root.resolve(name + ".yml");
        this.dataDirectory = root.resolve(name);
        Path log = root.resolve(name + ".log");
        this.agent = ServerProcess.commandLine("the Patroni agent of " + name, root.resolve(name + ".pid"), log, config.toString());
        this.postmaster = ServerProcess.postmaster("the server of " + name, dataDirectory, log);
    }

    String restUrl() {
        return "http://" + Node.HOST + ":" + restPort;
    }
}
