package io.fortress.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.db.Database;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.HealthStatus;
import io.fortress.db.api.NodeHealth;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code fortress health}: one check of every node; exit 0 when the primary takes writes, 1 otherwise. */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Check every node once: state, reason and replication lag.")
final class HealthCommand extends Subcommand {
    @ParentCommand
    FortressCommand fortress;

    @Option(names = "--json", description = "Print JSON (the body of /health/database).")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = out();
        try (Target target = Target.resolve(fortress.environment(), Target.Use.AS_IS, spec.commandLine().getErr());
             Database db = Database.open(target.dbConfig().toBuilder().maxOpenConns(1).maxIdleConns(0).build())) {
            HealthStatus status = db.healthChecker().status(); // opening the Database just checked every node
            if (json) {
                out.println(HealthJson.of(status).toPrettyString());
            } else {
                out.printf("%-10s %-8s %-22s %-14s %10s %14s  %s%n", "NODE", "ROLE", "ADDRESS", "STATE", "LAG_S", "LAG_BYTES", "REASON");
                for (NodeHealth n : status.nodes()) {
                    out.printf("%-10s %-8s %-22s %-14s %10s %14s  %s%n", n.name(), n.role().name().toLowerCase(Locale.ROOT),
                            n.address(), n.state(), n.lagSeconds() == null ? "-" : String.format(Locale.ROOT, "%.1f", n.lagSeconds()),
                            n.lagBytes() == null ? "-" : n.lagBytes(), n.reason());
                }
            }
            out.flush();
            return status.primaryHealthy() ? 0 : FortressCommand.FAILED;
        } catch (DatabaseUnavailableException e) {
            if (json) {
                ObjectNode body = HealthJson.JSON.createObjectNode();
                body.put("status", "DOWN");
                body.put("primary_healthy", false);
                body.put("error", e.getMessage());
                out.println(body.toPrettyString());
            } else {
                out.println("primary unavailable: " + e.getMessage());
            }
            out.flush();
            return FortressCommand.FAILED;
        }
    }
}
