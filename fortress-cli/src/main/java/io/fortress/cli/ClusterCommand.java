package io.fortress.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.cluster.ClusterException;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.cluster.PatroniCluster;
import io.fortress.cluster.PgBouncers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fortress cluster start|stop|status|env}: the embedded cluster in FORTRESS_DATA_DIR/cluster, a
 * primary and two streaming replicas on 127.0.0.1 with password authentication; or, made by
 * {@code cluster start --ha}, a Patroni cluster in FORTRESS_DATA_DIR/cluster-ha (etcd and three Patroni
 * members). A data directory holds one or the other; stop, status and env work on the one it holds.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Manage the embedded cluster (a primary and two streaming replicas on 127.0.0.1) in FORTRESS_DATA_DIR,",
                "or with start --ha a Patroni cluster (etcd and three Patroni members) there instead.",
                "eval \"$(bin/fortress cluster env)\" points psql, pg_dump and every fortress command at it."},
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class, ClusterCommand.Status.class, ClusterCommand.Env.class})
final class ClusterCommand extends CommandGroup {
    @ParentCommand
    FortressCommand fortress;

    LocalCluster existing() {
        LocalCluster c = EmbeddedCluster.builder(fortress.environment()).build();
        if (!c.exists()) {
            throw new IllegalStateException("there is no cluster in FORTRESS_DATA_DIR (" + EmbeddedCluster.dataDir(fortress.environment())
                    + "); start one with bin/fortress cluster start, or bin/fortress cluster start --ha for a Patroni cluster");
        }
        return c.inspect();
    }

    /** The Patroni cluster of {@code cluster start --ha}, when the data directory holds one. */
    Optional<PatroniCluster> ha() {
        Map<String, String> env = fortress.environment();
        return EmbeddedCluster.haExists(env) ? Optional.of(EmbeddedCluster.ha(env)) : Optional.empty();
    }

    /** How to try failover by hand, printed by start --ha and status. */
    static String patronictlHint(PatroniCluster c) {
        String ctl = "patronictl -c " + c.patronictlConfig();
        return "try failover by hand: " + ctl + " list, then " + ctl + " switchover --force (or failover --candidate <a replica> --force)";
    }

    /** Server connections each PgBouncer of the embedded cluster keeps per database and user (PgBouncer's default). */
    static final int PGBOUNCER_POOL_SIZE = 20;

    static String role(Node n) {
        return n.isStandby() ? "replica" : "primary";
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = {"Create (first time) and start the embedded cluster; it keeps running.",
            "With --ha, a Patroni cluster instead; a second start of a running cluster changes nothing."})
    static final class Start extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Option(names = "--pgbouncer", description = {"Also start a PgBouncer (transaction pooling, " + PGBOUNCER_POOL_SIZE
                + " server connections) in front of every node, and again on every later start; needs Debian's pgbouncer package.",
                "eval \"$(bin/fortress cluster env --pgbouncer)\" then points fortress at them."})
        boolean pgbouncer;
        @Option(names = "--ha", description = {"Start a Patroni-managed cluster instead: etcd and " + EmbeddedCluster.HA_MEMBERS
                + " Patroni members on 127.0.0.1, each running PostgreSQL (Debian's patroni and etcd-server packages), kept in "
                + "FORTRESS_DATA_DIR/cluster-ha; it keeps running until cluster stop.",
                "Try failover by hand with patronictl -c FORTRESS_DATA_DIR/cluster-ha/patronictl.yml switchover;",
                "eval \"$(bin/fortress cluster env)\" then points fortress at it through DB_PATRONI_URL.",
                "A data directory holds either this or the embedded cluster."})
        boolean ha;

        @Override
        public Integer call() {
            Map<String, String> env = cluster.fortress.environment();
            if (ha) {
                if (pgbouncer) {
                    throw new IllegalArgumentException("--pgbouncer cannot be combined with --ha: fortress finds a Patroni cluster's servers "
                            + "through Patroni's REST API (DB_PATRONI_URL), which lists the servers themselves, not PgBouncers in front of "
                            + "them; leave out one of the two options");
                }
                return startHa(env);
            }
            if (EmbeddedCluster.haExists(env)) {
                throw new IllegalStateException("FORTRESS_DATA_DIR (" + EmbeddedCluster.dataDir(env) + ") holds a Patroni cluster, made by "
                        + "cluster start --ha, in " + EmbeddedCluster.haDir(env) + ", and the embedded cluster cannot share the data "
                        + "directory: start the Patroni cluster with bin/fortress cluster start --ha, or set FORTRESS_DATA_DIR to another "
                        + "folder for the embedded cluster (or stop the Patroni cluster with bin/fortress cluster stop and delete "
                        + EmbeddedCluster.haDir(env) + ")");
            }
            if (pgbouncer) {
                PgBouncers.binary(); // fails before anything starts when PgBouncer is not installed
            }
            LocalCluster c = EmbeddedCluster.builder(cluster.fortress.environment()).detached(true).build().start();
            PrintWriter out = out();
            // PgBouncers configured by an earlier --pgbouncer start again with the cluster
            PgBouncers bouncers = pgbouncer || PgBouncers.inspect(c).isPresent() ? PgBouncers.start(c, PGBOUNCER_POOL_SIZE, true) : null;
            for (Node n : c.nodes()) {
                out.printf("%-10s %-8s %s%s%n", n.name(), role(n), n.address(),
                        bouncers == null ? "" : "  (PgBouncer " + bouncers.front(n).address() + ")");
            }
            out.println("data in " + c.rootDirectory() + "; stop with: bin/fortress cluster stop"
                    + (bouncers == null ? "" : "; use the PgBouncers with: eval \"$(bin/fortress cluster env --pgbouncer)\""));
            return 0;
        }

        private Integer startHa(Map<String, String> env) {
            Path dir = EmbeddedCluster.haDir(env);
            LocalCluster embedded = EmbeddedCluster.builder(env).build();
            if (embedded.exists()) {
                throw new IllegalStateException("FORTRESS_DATA_DIR (" + EmbeddedCluster.dataDir(env) + ") holds the embedded cluster, made by "
                        + "cluster start without --ha, in " + embedded.rootDirectory() + ", and a Patroni cluster cannot share the data "
                        + "directory: give it another one (e.g. FORTRESS_DATA_DIR=/var/tmp/fortress-ha bin/fortress cluster start --ha), "
                        + "or stop the embedded cluster with bin/fortress cluster stop and delete " + embedded.rootDirectory());
            }
            PatroniCluster.requireInstalled();
            PatroniCluster c;
            String what;
            if (PatroniCluster.exists(dir)) {
                c = PatroniCluster.inspect(dir);
                what = c.startStopped() ? "started the Patroni cluster in " + dir : "the Patroni cluster in " + dir + " already runs; nothing started";
            } else {
                c = PatroniCluster.builder().members(EmbeddedCluster.HA_MEMBERS).database("fortress").dataDirectory(dir).start();
                what = "created and started a Patroni cluster (etcd and " + EmbeddedCluster.HA_MEMBERS + " members) in " + dir;
            }
            PrintWriter out = out();
            for (PatroniCluster.Member m : c.members()) {
                out.printf("%-10s %-12s %-22s REST API %s%n", m.name(), m.role(), m.address(), c.restUrl(m.name()));
            }
            out.printf("%-10s %-12s %-22s%n", "etcd", "", c.etcdUrl());
            out.println(what + "; it keeps running (stop it with: bin/fortress cluster stop)");
            out.println(patronictlHint(c));
            out.println("point fortress, psql and pg_dump at it with: eval \"$(bin/fortress cluster env)\"");
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = {"Stop every node of the embedded cluster (clean shutdown); data are kept.",
            "For the Patroni cluster of start --ha: every Patroni member (each stops its server; the leader last), then etcd."})
    static final class Stop extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Override
        public Integer call() {
            Optional<PatroniCluster> ha = cluster.ha();
            if (ha.isPresent()) {
                ha.get().stop();
                out().println("stopped the Patroni cluster (etcd and " + ha.get().memberNames().size() + " members) in "
                        + ha.get().rootDirectory() + "; data are kept");
                return 0;
            }
            LocalCluster c = cluster.existing();
            PgBouncers.inspect(c).ifPresent(PgBouncers::stopAll);
            c.stopAll();
            out().println("stopped the embedded cluster in " + c.rootDirectory());
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Each node's role, address, data directory and whether it runs.",
                    "For the Patroni cluster of start --ha: each member as Patroni's REST API lists it (role, state, timeline, lag),",
                    "its agent's pid, and etcd."})
    static final class Status extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Option(names = "--json", description = {"Print {\"data_directory\", \"nodes\": [{name, role, host, port, data_directory, running}]};",
                "for the Patroni cluster {\"data_directory\", \"patronictl_config\", \"etcd\": {url, pid, running}, \"members\": [{name, role,",
                "state, host, port, timeline, lag, rest_url, agent_pid, agent_running}]} (role and state null when Patroni lists no such member)."})
        boolean json;

        @Override
        public Integer call() {
            Optional<PatroniCluster> ha = cluster.ha();
            if (ha.isPresent()) {
                return haStatus(ha.get());
            }
            LocalCluster c = cluster.existing();
            PrintWriter out = out();
            boolean allRunning = true;
            ObjectNode root = HealthJson.JSON.createObjectNode();
            root.put("data_directory", c.rootDirectory().toString());
            ArrayNode nodes = root.putArray("nodes");
            if (!json) {
                out.printf("%-10s %-8s %-22s %-8s %s%n", "NODE", "ROLE", "ADDRESS", "RUNNING", "DATA DIRECTORY");
            }
            PgBouncers bouncers = PgBouncers.inspect(c).orElse(null);
            for (Node n : c.nodes()) {
                boolean running = n.isRunning();
                allRunning &= running;
                PgBouncers.Front front = bouncers == null ? null : bouncers.front(n);
                if (json) {
                    ObjectNode o = nodes.addObject();
                    o.put("name", n.name());
                    o.put("role", role(n));
                    o.put("host", n.host());
                    o.put("port", n.port());
                    o.put("data_directory", n.dataDirectory().toString());
                    o.put("running", running);
                    if (front != null) {
                        o.put("pgbouncer_port", front.port());
                        o.put("pgbouncer_running", front.isRunning());
                    }
                } else {
                    out.printf("%-10s %-8s %-22s %-8s %s%n", n.name(), role(n), n.address(), running ? "yes" : "no", n.dataDirectory());
                    if (front != null) {
                        out.printf("%-10s %-8s %-22s %-8s %s%n", "", "pgbouncer", front.address(), front.isRunning() ? "yes" : "no",
                                front.logFile());
                    }
                }
            }
            if (json) {
                out.println(root.toPrettyString());
            }
            return allRunning ? 0 : FortressCommand.FAILED;
        }

        private Integer haStatus(PatroniCluster c) {
            PrintWriter out = out();
            List<PatroniCluster.Daemon> daemons = c.daemons();
            PatroniCluster.Daemon etcd = daemons.get(0);
            List<PatroniCluster.Member> listed;
            String unlisted = null;
            try {
                listed = etcd.running() ? c.members() : List.of();
            } catch (ClusterException e) {
                listed = List.of();
                unlisted = e.getMessage();
            }
            boolean healthy = daemons.stream().allMatch(PatroniCluster.Daemon::running);
            ObjectNode root = HealthJson.JSON.createObjectNode();
            root.put("data_directory", c.rootDirectory().toString());
            root.put("patronictl_config", c.patronictlConfig().toString());
            ObjectNode etcdNode = root.putObject("etcd");
            etcdNode.put("url", c.etcdUrl());
            etcdNode.put("pid", etcd.pid());
            etcdNode.put("running", etcd.running());
            ArrayNode members = root.putArray("members");
            if (!json) {
                out.printf("%-10s %-12s %-10s %-22s %-4s %-10s %-28s %s%n", "MEMBER", "ROLE", "STATE", "ADDRESS", "TL", "LAG", "REST API", "AGENT");
            }
            for (PatroniCluster.Daemon agent : daemons.subList(1, daemons.size())) {
                PatroniCluster.Member m = listed.stream().filter(x -> x.name().equals(agent.name())).findFirst().orElse(null);
                healthy &= m != null && ("running".equals(m.state()) || "streaming".equals(m.state()));
                if (json) {
                    ObjectNode o = members.addObject();
                    o.put("name", agent.name());
                    o.put("role", m == null ? null : m.role());
                    o.put("state", m == null ? null : m.state());
                    o.put("host", Node.HOST);
                    o.put("port", m == null ? null : m.port());
                    o.put("timeline", m == null ? null : m.timeline());
                    o.put("lag", m == null ? null : m.lag());
                    o.put("rest_url", c.restUrl(agent.name()));
                    o.put("agent_pid", agent.pid());
                    o.put("agent_running", agent.running());
                } else {
                    out.printf("%-10s %-12s %-10s %-22s %-4s %-10s %-28s %s%n", agent.name(), m == null ? "-" : m.role(),
                            m == null ? "not listed" : m.state(), m == null ? "-" : m.address(),
                            m == null || m.timeline() == null ? "" : m.timeline(), m == null || m.lag() == null ? "" : m.lag() + " B",
                            c.restUrl(agent.name()), agent.running() ? "pid " + agent.pid() : "not running");
                }
            }
            if (json) {
                out.println(root.toPrettyString());
                return healthy ? 0 : FortressCommand.FAILED;
            }
            out.printf("%-10s %-12s %-10s %-22s %-4s %-10s %-28s %s%n", "etcd", "", etcd.running() ? "running" : "stopped", "", "", "",
                    c.etcdUrl(), etcd.running() ? "pid " + etcd.pid() : "not running");
            if (unlisted != null) {
                out.println(unlisted);
            }
            out.println("Patroni cluster in " + c.rootDirectory() + (etcd.running() ? "; " + patronictlHint(c)
                    : "; start it with: bin/fortress cluster start --ha"));
            return healthy ? 0 : FortressCommand.FAILED;
        }
    }

    @Command(name = "env", mixinStandardHelpOptions = true,
            description = {"Print shell exports of the DB_* variables and libpq's PG* variables for the embedded cluster:",
                    "eval \"$(bin/fortress cluster env)\". The output holds the generated password.",
                    "For the Patroni cluster of start --ha: DB_PATRONI_URL, DB_USER, DB_NAME, and PGHOST/PGPORT",
                    "listing every member with PGTARGETSESSIONATTRS=read-write, so psql follows the leader."})
    static final class Env extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Option(names = "--pgbouncer", description = "Point DB_HOST and DB_REPLICA_HOSTS at the PgBouncers started by cluster start "
                + "--pgbouncer (DB_POOLER=pgbouncer-transaction, DB_DIRECT_HOSTS the servers); PG* stay on the primary itself.")
        boolean pgbouncer;

        @Override
        public Integer call() {
            Optional<PatroniCluster> ha = cluster.ha();
            if (ha.isPresent()) {
                if (pgbouncer) {
                    throw new IllegalArgumentException("--pgbouncer: the Patroni cluster in " + ha.get().rootDirectory()
                            + " has no PgBouncers (cluster start --ha starts none); leave out --pgbouncer");
                }
                return haEnv(ha.get());
            }
            LocalCluster c = cluster.existing();
            PrintWriter out = out();
            String port = Integer.toString(c.primary().port());
            if (pgbouncer) {
                PgBouncers bouncers = PgBouncers.inspect(c).orElseThrow(() -> new IllegalStateException(
                        "the embedded cluster has no PgBouncers; start them with: bin/fortress cluster start --pgbouncer"));
                export(out, "DB_HOST", Node.HOST);
                export(out, "DB_PORT", Integer.toString(bouncers.front(c.primary()).port()));
                export(out, "DB_REPLICA_HOSTS", bouncers.replicaAddresses());
                export(out, "DB_POOLER", "pgbouncer-transaction");
                export(out, "DB_DIRECT_HOSTS", bouncers.directAddresses());
            } else {
                // left by an earlier cluster env --pgbouncer, or by cluster env of a Patroni cluster
                out.println("unset DB_POOLER DB_DIRECT_HOSTS DB_PATRONI_URL DB_PASSWORD DB_PASSWORD_FILE PGTARGETSESSIONATTRS");
                export(out, "DB_HOST", Node.HOST);
                export(out, "DB_PORT", port);
                export(out, "DB_REPLICA_HOSTS", c.replicaAddresses());
            }
            export(out, "DB_USER", c.superuser());
            export(out, "DB_NAME", c.database());
            export(out, "PGHOST", Node.HOST);
            export(out, "PGPORT", port);
            export(out, "PGUSER", c.superuser());
            export(out, "PGDATABASE", c.database());
            export(out, "PGPASSWORD", c.password());
            // marks where DB_HOST came from: commands recognise their embedded cluster by it and say so when it is stopped
            export(out, Target.CLUSTER_ENV_MARKER, c.rootDirectory().toString());
            return 0;
        }

        /**
         * DB_PATRONI_URL (fortress finds the leader and the replicas through Patroni), the login (the password as
         * PGPASSWORD, as for the embedded cluster), and libpq's multi-host PGHOST/PGPORT with
         * PGTARGETSESSIONATTRS=read-write, so psql and pg_dump follow the leader across a switchover.
         */
        private Integer haEnv(PatroniCluster c) {
            PrintWriter out = out();
            // the password travels as PGPASSWORD, which fortress reads too: a DB_PASSWORD(_FILE) left set would contradict it
            out.println("unset DB_HOST DB_PORT DB_REPLICA_HOSTS DB_POOLER DB_DIRECT_HOSTS DB_PASSWORD DB_PASSWORD_FILE");
            export(out, "DB_PATRONI_URL", String.join(",", c.restUrls()));
            export(out, "DB_USER", c.user());
            export(out, "DB_NAME", c.database());
            List<String> names = c.memberNames();
            export(out, "PGHOST", String.join(",", names.stream().map(n -> Node.HOST).toList()));
            export(out, "PGPORT", String.join(",", names.stream().map(n -> Integer.toString(c.port(n))).toList()));
            export(out, "PGTARGETSESSIONATTRS", "read-write");
            export(out, "PGUSER", c.user());
            export(out, "PGDATABASE", c.database());
            export(out, "PGPASSWORD", c.password());
            export(out, Target.CLUSTER_ENV_MARKER, c.rootDirectory().toString());
            return 0;
        }

        private static void export(PrintWriter out, String name, String value) {
            out.println("export " + name + "='" + value.replace("'", "'\\''") + "'");
        }
    }
}
