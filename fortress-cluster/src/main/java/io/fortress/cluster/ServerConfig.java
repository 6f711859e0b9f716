package io.fortress.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The primary's new data directory (initdb) and the configuration files of a {@link LocalCluster}'s servers: pg_hba.conf (loopback TCP only, SCRAM or a client
 * certificate), and each node's own {@code fortress.conf} (port, replication, TLS, extra settings), which
 * postgresql.conf includes and which is rewritten on every start.
 */
final class ServerConfig {
    /** The node's own settings file in its data directory; a base backup leaves it out. */
    static final String NODE_CONFIG = "fortress.conf";

    private final String superuser;
    private final Path pgpassFile;
    private final Tls tls; // null without TLS
    private final Map<String, String> extraSettings;
    private final ServerUser serverUser;

    /**
     * @param throwAway whether the data may be lost (fsync and full-page writes off, which keeps tests fast on small
     *                  machines), unless {@code settings} say otherwise
     * @param settings  extra postgresql.conf settings for every node
     */
    ServerConfig(String superuser, Path pgpassFile, Tls tls, boolean throwAway, Map<String, String> settings, ServerUser serverUser) {
        this.superuser = superuser;
        this.pgpassFile = pgpassFile;
        this.tls = tls;
        Map<String, String> all = new LinkedHashMap<>();
        if (throwAway) {
            all.put("fsync", "off");
            all.put("full_page_writes", "off");
        }
        all.putAll(settings);
        this.extraSettings = Collections.unmodifiableMap(all);
        this.serverUser = serverUser;
    }

    /** Rewrites the node's own settings file (port, addresses, replication from {@code primaryPort}), read on every start. */
    void writeNodeConfig(Node node, int primaryPort) {
        StringBuilder conf = new StringBuilder();
        conf.append("# Written by fortress LocalCluster for ").append(node.name()).append(" on every start; edits are lost.\n");
        setting(conf, "listen_addresses", Node.HOST);
        conf.append("port = ").append(node.port()).append('\n');
        setting(conf, "unix_socket_directories", "");
        conf.append("max_connections = 200\n");
        setting(conf, "shared_buffers", "32MB");
        setting(conf, "wal_level", "replica");
        conf.append("max_wal_senders = 10\n");
        conf.append("max_replication_slots = 10\n");
        setting(conf, "hot_standby", "on");
        setting(conf, "wal_receiver_status_interval", "1s");
        setting(conf, "log_line_prefix", "%m [%p] %q%a ");
        if (node.isStandby()) {
            setting(conf, "primary_conninfo", primaryConninfo(node, primaryPort));
            setting(conf, "primary_slot_name", slotName(node));
        }
        if (tls != null) {
            setting(conf, "ssl", "on");
            setting(conf, "ssl_cert_file", tls.serverCertificate().toString());
            setting(conf, "ssl_key_file", tls.serverKey().toString());
            setting(conf, "ssl_ca_file", tls.caCertificate().toString());
        }
        extraSettings.forEach((name, value) -> setting(conf, name, value));
        Path file = node.dataDirectory().resolve(NODE_CONFIG);
        try {
            Files.writeString(file, conf, StandardCharsets.UTF_8);
            serverUser.own(file);
        } catch (IOException e) {
            throw new ClusterException("cannot write " + file + ": " + e.getMessage(), e);
        }
        if (Loopback.isTaken(node.port())) {
            throw new ClusterException("cannot start " + node.name() + ": port " + node.port() + " on " + Node.HOST
                    + " is already in use by another process");
        }
    }

    /** libpq connection string a standby uses to stream from the given port; the password comes from the pgpass file. */
    String primaryConninfo(Node standby, int upstreamPort) {
        return "host=" + Node.HOST + " port=" + upstreamPort + " user=" + superuser + " passfile=" + pgpassFile
                + " application_name=" + standby.name() + " connect_timeout=5";
    }

    /** The replication slot the primary keeps for a replica. */
    static String slotName(Node replica) {
        return replica.name().replace('-', '_');
    }

    private static void setting(StringBuilder conf, String name, String value) {
        conf.append(name).append(" = '").append(value.replace("'", "''")).append("'\n");
    }

    /**
     * Creates the primary's data directory with initdb (the superuser's password from {@code passwordFile}), writes
     * its pg_hba.conf and has its postgresql.conf include the node's own settings file.
     */
    void initdb(Node primary, PgBinaries binaries, Path passwordFile) {
        Path dataDirectory = primary.dataDirectory();
        Processes.runChecked(serverUser.command(List.of(binaries.tool("initdb"), "-D", dataDirectory.toString(),
                "-U", superuser, "--pwfile=" + passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
                "--no-sync")), Duration.ofMinutes(5));
        String hba = "# Written by fortress LocalCluster: loopback TCP only, password (SCRAM) authentication"
                + (tls != null ? ", or a client certificate for members of " + Tls.CLIENT_CERT_GROUP : "") + ".\n"
                + (tls != null ? "hostssl all            +" + Tls.CLIENT_CERT_GROUP + "    127.0.0.1/32    cert\n" : "")
                + "host    all            all    127.0.0.1/32    scram-sha-256\n"
                + "host    replication    all    127.0.0.1/32    scram-sha-256\n";
        try {
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), hba, StandardCharsets.UTF_8);
            Files.writeString(dataDirectory.resolve("postgresql.conf"), "\ninclude_if_exists = '" + NODE_CONFIG + "'\n",
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new ClusterException("cannot write the configuration in " + dataDirectory + ": " + e.getMessage(), e);
        }
    }
}
