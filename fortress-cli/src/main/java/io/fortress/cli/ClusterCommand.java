package io.fortress.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.cluster.PgBouncers;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fortress cluster start|stop|status|env}: the embedded cluster in FORTRESS_DATA_DIR/cluster, a
 * primary and two streaming replicas on 127.0.0.1 with password authentication.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Manage the embedded cluster (a primary and two streaming replicas on 127.0.0.1) in FORTRESS_DATA_DIR.",
                "eval \"$(bin/fortress cluster env)\" points psql, pg_dump and every fortress command at it."},
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class, ClusterCommand.Status.class, ClusterCommand.Env.class})
final class ClusterCommand extends CommandGroup {
    @ParentCommand
    FortressCommand fortress;

    LocalCluster existing() {
        return EmbeddedCluster.builder(fortress.environment()).build().inspect();
    }

    /** Server connections each PgBouncer of the embedded cluster keeps per database and user (PgBouncer's default). */
    static final int PGBOUNCER_POOL_SIZE = 20;

    static String role(Node n) {
        return n.isStandby() ? "replica" : "primary";
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Create (first time) and start the embedded cluster; it keeps running.")
    static final class Start extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Option(names = "--pgbouncer", description = {"Also start a PgBouncer (transaction pooling, " + PGBOUNCER_POOL_SIZE
                + " server connections) in front of every node, and again on every later start; needs Debian's pgbouncer package.",
                "eval \"$(bin/fortress cluster env --pgbouncer)\" then points fortress at them."})
        boolean pgbouncer;

        @Override
        public Integer call() {
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
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop every node of the embedded cluster (clean shutdown); data are kept.")
    static final class Stop extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Override
        public Integer call() {
            LocalCluster c = cluster.existing();
            PgBouncers.inspect(c).ifPresent(PgBouncers::stopAll);
            c.stopAll();
            out().println("stopped the embedded cluster in " + c.rootDirectory());
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Each node's role, address, data directory and whether it runs.")
    static final class Status extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Option(names = "--json", description = "Print {\"data_directory\", \"nodes\": [{name, role, host, port, data_directory, running}]}.")
        boolean json;

        @Override
        public Integer call() {
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
    }

    @Command(name = "env", mixinStandardHelpOptions = true,
            description = {"Print shell exports of the DB_* variables and libpq's PG* variables for the embedded cluster:",
                    "eval \"$(bin/fortress cluster env)\". The output holds the generated password."})
    static final class Env extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Option(names = "--pgbouncer", description = "Point DB_HOST and DB_REPLICA_HOSTS at the PgBouncers started by cluster start "
                + "--pgbouncer (DB_POOLER=pgbouncer-transaction, DB_DIRECT_HOSTS the servers); PG* stay on the primary itself.")
        boolean pgbouncer;

        @Override
        public Integer call() {
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
                out.println("unset DB_POOLER DB_DIRECT_HOSTS"); // left by an earlier cluster env --pgbouncer
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

        private static void export(PrintWriter out, String name, String value) {
            out.println("export " + name + "='" + value.replace("'", "'\\''") + "'");
        }
    }
}
