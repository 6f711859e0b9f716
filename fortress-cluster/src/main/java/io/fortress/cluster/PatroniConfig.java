package io.fortress.cluster;

import java.nio.file.Path;

/**
 * The configuration files of a {@link PatroniCluster}: each member's Patroni YAML (a small production setup: the
 * {@code etcd3} DCS, {@code ttl: 10}, {@code loop_wait: 2}, pg_rewind for a returning leader, SCRAM over TCP only),
 * and the patronictl configuration (the scope and etcd, no secrets).
 */
final class PatroniConfig {
    private final Path root;
    private final int etcdPort;
    private final boolean synchronousMode;
    private final boolean durable;
    private final String password;
    private final String replicationPassword;
    private final ServerUser user;

    /** {@code durable}: fsync on (a detached cluster); a throw-away cluster's data need no durability. */
    PatroniConfig(Path root, int etcdPort, boolean synchronousMode, boolean durable, String password, String replicationPassword,
                  ServerUser user) {
        this.root = root;
        this.etcdPort = etcdPort;
        this.synchronousMode = synchronousMode;
        this.durable = durable;
        this.password = password;
        this.replicationPassword = replicationPassword;
        this.user = user;
    }

    /** The configuration for patronictl ({@code patronictl -c <file> list}). */
    Path patronictlFile() {
        return root.resolve("patronictl.yml");
    }

    /** The superuser's password alone (0600), as DB_PASSWORD_FILE takes it. */
    Path passwordFile() {
        return root.resolve("password");
    }

    /** The state, password and patronictl files of a detached cluster, written before anything starts. */
    void writeDetachedFiles(String database, PatroniProcesses processes) {
        PatroniState.of(root, database, synchronousMode, password, replicationPassword, processes.etcd, processes.members).save(user);
        ClusterFiles.write(passwordFile(), password + "\n", "rw-------", user);
        ClusterFiles.write(patronictlFile(), """
                # for patronictl -c %s list | switchover | failover | restart ...
                scope: %s
                etcd3:
                  hosts: %s:%d
                """.formatted(patronictlFile(), PatroniCluster.SCOPE, Node.HOST, etcdPort), "rw-r--r--", user);
    }

    /** Writes a member's Patroni configuration (0600: it holds the passwords). */
    void write(PatroniMember m, Path binDir) {
        StringBuilder tags = new StringBuilder();
        m.tags.forEach((k, v) -> tags.append("  ").append(k).append(": ").append(v).append('\n'));
        String yaml = """
                scope: %s
                name: %s
                restapi:
                  listen: %s:%d
                  connect_address: %s:%d
                etcd3:
                  hosts: %s:%d
                bootstrap:
                  dcs:
                    ttl: 10
                    loop_wait: 2
                    retry_timeout: 5
                    maximum_lag_on_failover: 1048576
                    synchronous_mode: %s
                    postgresql:
                      use_pg_rewind: true
                      remove_data_directory_on_rewind_failure: true
                      remove_data_directory_on_diverged_timelines: true
                      parameters:
                        wal_log_hints: 'on'
                        max_wal_senders: 10
                        max_replication_slots: 10%s
                  initdb:
                  - encoding: UTF8
                  - auth-host: scram-sha-256
                  - auth-local: peer
                  pg_hba:
                  - host replication replicator 127.0.0.1/32 scram-sha-256
                  - host all all 127.0.0.1/32 scram-sha-256
                postgresql:
                  listen: %s:%d
                  connect_address: %s:%d
                  data_dir: %s
                  bin_dir: %s
                  pgpass: %s
                  authentication:
                    superuser: {username: postgres, password: '%s'}
                    replication: {username: replicator, password: '%s'}
                    rewind: {username: postgres, password: '%s'}
                  parameters:
                    unix_socket_directories: '%s'
                tags:
                %s""".formatted(PatroniCluster.SCOPE, m.name, Node.HOST, m.restPort, Node.HOST, m.restPort, Node.HOST, etcdPort,
                synchronousMode, durable ? "" : "\n        fsync: 'off'",
                Node.HOST, m.pgPort, Node.HOST, m.pgPort, m.dataDirectory, binDir, root.resolve(m.name + ".pgpass"),
                password, replicationPassword, password, root, tags.length() == 0 ? "  {}\n" : tags);
        ClusterFiles.write(m.config, yaml.replace("tags:\n  {}", "tags: {}"), "rw-------", user);
    }
}
