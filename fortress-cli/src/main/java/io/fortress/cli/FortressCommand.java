package io.fortress.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code fortress} command: {@code serve}, {@code migrate}, {@code backup}, {@code health},
 * {@code stats} and {@code cluster}, each a sibling subcommand class. Commands read their settings
 * from the environment (the {@code DB_*} and backup variables, and {@code FORTRESS_*}) through
 * {@link #environment()}; without DB_HOST they work on the embedded cluster.
 *
 * <p>Exit status: 0 success, 1 the operation failed (a failed verification included), 2 invalid
 * usage or configuration; {@link ExitStatus} lists each command's.
 */
@Command(name = "fortress", mixinStandardHelpOptions = true, versionProvider = FortressCommand.Version.class,
        description = "Operate the fortress-db PostgreSQL layer.",
        subcommands = {ServeCommand.class, MigrateCommand.class, BackupCommand.class, HealthCommand.class, StatsCommand.class,
                ClusterCommand.class, CommandLine.HelpCommand.class})
public final class FortressCommand implements Runnable {
    /** The operation failed. */
    public static final int FAILED = 1;
    /** Invalid usage or configuration. */
    public static final int USAGE = 2;

    private final Map<String, String> environment;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    FortressCommand(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.getenv(), new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8)));
    }

    /** Runs the command line with the given environment and streams; returns the exit status. */
    public static int execute(String[] args, Map<String, String> environment, PrintWriter out, PrintWriter err) {
        return newCommandLine(environment, out, err).execute(args);
    }

    static CommandLine newCommandLine(Map<String, String> environment, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new FortressCommand(environment));
        cli.setOut(out);
        cli.setErr(err);
        ExitStatus.describe(cli);
        // Every command checks the fortress settings and sets up logging before it runs.
        cli.setExecutionStrategy(parseResult -> {
            try {
                CliSettings.validate(environment);
            } catch (IllegalArgumentException e) {
                err.println("fortress: " + message(e));
                err.flush();
                return USAGE;
            }
            // serve is a service and logs what it does; one-shot commands only warn
            boolean serve = parseResult.subcommand() != null && parseResult.subcommand().commandSpec().userObject() instanceof ServeCommand;
            Logging.configure(environment, serve ? ch.qos.logback.classic.Level.INFO : ch.qos.logback.classic.Level.WARN);
            return new CommandLine.RunLast().execute(parseResult);
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            String hint = e instanceof io.fortress.db.api.DatabaseUnavailableException ? Target.unreachableHint(environment) : "";
            commandLine.getErr().println("fortress: " + message(e) + hint);
            commandLine.getErr().flush();
            return e instanceof IllegalArgumentException ? USAGE : FAILED; // DbConfigException included
        });
        return cli;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** The environment the command was started with (settings come from it), aliases given under the names they stand for. */
    Map<String, String> environment() {
        return CliSettings.resolveAliases(environment);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version the build stamped into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = FortressCommand.class.getResourceAsStream("/fortress-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {line(p)};
        }

        /** {@code fortress 0.1.0 (commit 1a2b3c4)}; a build outside a git clone knows no commit. */
        static String line(Properties p) {
            String commit = stamped(p, "commit");
            String modified = "true".equals(stamped(p, "dirty")) ? ", with uncommitted changes" : "";
            return "fortress " + Objects.requireNonNullElse(stamped(p, "version"), "development") + " (commit "
                    + Objects.requireNonNullElse(commit, "unknown") + modified + ")";
        }

        /** A value the build filled in, or null where it had none (the placeholder is still there). */
        private static String stamped(Properties p, String key) {
            String value = p.getProperty(key);
            return value == null || value.isBlank() || value.startsWith("${") ? null : value;
        }
    }
}
