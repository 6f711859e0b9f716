package io.fortress.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
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

    static String role(Node n) {
        return n.isStandby() ? "replica" : "primary";
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Create (first time) and start the embedded cluster; it keeps running.")
    static final class Start extends Subcommand {
        @ParentCommand
        ClusterCommand cluster;
        @Override
        public Integer call() {
            LocalCluster c = EmbeddedCluster.builder(cluster.fortress.environment()).detached(true).build().start();
            PrintWriter out = out();
            for (Node n : c.nodes()) {
                out.printf("%-10s %-8s %s%n", n.name(), role(n), n.address());
            }
            out.println("data in " + c.rootDirectory() + "; stop with: bin/fortress cluster stop");
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
            c.stopAll();
            out().println("stopped the embedded cluster in " + c.rootDirectory());
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Each node's role, address, data directory and whether it runs. Exit status 1 when a node is not running.")
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
            for (Node n : c.nodes()) {
                boolean running = n.isRunning();
                allRunning &= running;
                if (json) {
                    ObjectNode o = nodes.addObject();
                    o.put("name", n.name());
                    o.put("role", role(n));
                    o.put("host", n.host());
                    o.put("port", n.port());
                    o.put("data_directory", n.dataDirectory().toString());
                    o.put("running", running);
                } else {
                    out.printf("%-10s %-8s %-22s %-8s %s%n", n.name(), role(n), n.address(), running ? "yes" : "no", n.dataDirectory());
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
        @Override
        public Integer call() {
            LocalCluster c = cluster.existing();
            PrintWriter out = out();
            String port = Integer.toString(c.primary().port());
            export(out, "DB_HOST", Node.HOST);
            export(out, "DB_PORT", port);
            export(out, "DB_USER", c.superuser());
            export(out, "DB_NAME", c.database());
            export(out, "DB_REPLICA_HOSTS", c.replicaAddresses());
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
