package io.fortress.cli;

import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;
import io.fortress.db.backup.BackupSettings;
import io.fortress.db.migrate.MigrationSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes docs/cli.md, the reference of the {@code fortress} command, from its picocli model: every
 * command, option, positional parameter and exit status, and every environment variable the command
 * reads or {@code cluster env} exports. {@code CliReferenceTest} fails when the page and the model differ.
 * Run {@code main} with the page's path to write it.
 */
final class CliReference {
    private CliReference() {
    }

    /** How to regenerate the page, for its header and for the test's message. */
    static final String REGENERATE = "mvn -q -pl fortress-cli -am test -Dtest=CliReferenceTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dfortress.cli.regenerate=true";

    /** Variables bin/fortress and the embedded cluster read, which are no settings of their own. */
    static final Map<String, String> PROCESS_VARIABLES = ordered(
            "FORTRESS_JAVA_OPTS", "bin/fortress: extra JVM options, split at spaces (e.g. -Xmx512m)",
            "JAVA_HOME", "bin/fortress: runs $JAVA_HOME/bin/java when it exists, otherwise java from PATH",
            "FORTRESS_PG_OS_USER", "the embedded cluster: when fortress runs as root, the unprivileged user its servers run as "
                    + "(default postgres; initdb refuses root)",
            "PG_BIN", "the embedded cluster: folder of the PostgreSQL server binaries (initdb, postgres, pg_ctl); unset: pg_config "
                    + "--bindir, then /usr/lib/postgresql/<newest>/bin, then the embedded zonky binaries. The backups use it too "
                    + "(see Settings)",
            "XDG_DATA_HOME", "the default FORTRESS_DATA_DIR of users other than root: $XDG_DATA_HOME/fortress (unset: "
                    + "~/.local/share/fortress)",
            "AWS_ACCESS_KEY_ID", "with AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the rest of the AWS SDK's default credential "
                    + "sources: the credentials of BACKUP_REMOTE",
            "AWS_SECRET_ACCESS_KEY", "see AWS_ACCESS_KEY_ID",
            "AWS_PROFILE", "see AWS_ACCESS_KEY_ID");

    /** What {@code fortress cluster env} prints, in its order (for the embedded cluster, or the Patroni cluster of start --ha). */
    static final Map<String, String> CLUSTER_ENV_VARIABLES = ordered(
            "DB_HOST", "127.0.0.1: the embedded cluster's primary (with --pgbouncer, its PgBouncer); unset for the Patroni cluster",
            "DB_PORT", "the primary's port (with --pgbouncer, its PgBouncer's); unset for the Patroni cluster",
            "DB_REPLICA_HOSTS", "the replicas' addresses (with --pgbouncer, their PgBouncers'); unset for the Patroni cluster",
            "DB_PATRONI_URL", "for the Patroni cluster of cluster start --ha only: its members' REST APIs, through which fortress "
                    + "finds the leader and the replicas; otherwise unset",
            "DB_POOLER", "with --pgbouncer only: pgbouncer-transaction; without it, unset (the output starts with unset DB_POOLER "
                    + "DB_DIRECT_HOSTS ...)",
            "DB_DIRECT_HOSTS", "with --pgbouncer only: the servers' own addresses behind the PgBouncers; without it, unset",
            "DB_PASSWORD", "unset: the password travels as PGPASSWORD, which fortress reads too",
            "DB_PASSWORD_FILE", "unset, as DB_PASSWORD",
            "DB_USER", "the cluster's superuser",
            "DB_NAME", "the cluster's database",
            "PGHOST", "libpq's host (psql, pg_dump): the primary itself, also with --pgbouncer; for the Patroni cluster every member "
                    + "(127.0.0.1,127.0.0.1,...)",
            "PGPORT", "libpq's port: the primary's; for the Patroni cluster every member's, in PGHOST's order",
            "PGTARGETSESSIONATTRS", "for the Patroni cluster only: read-write, so that libpq connects to whichever member leads; "
                    + "otherwise unset",
            "PGUSER", "libpq's user: the superuser",
            "PGDATABASE", "libpq's database",
            "PGPASSWORD", "the generated password (also fortress's password setting); the output holds it, so do not log it",
            Target.CLUSTER_ENV_MARKER, "the cluster's folder: tells fortress that DB_HOST (or DB_PATRONI_URL) came from cluster env, "
                    + "so that commands use (and, when they change something, start) that embedded cluster as when DB_HOST is unset, "
                    + "and say how to go back when FORTRESS_DATA_DIR names another folder");

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: CliReference PATH (docs/cli.md)");
            System.exit(FortressCommand.USAGE);
        }
        Files.writeString(Path.of(args[0]), markdown(), StandardCharsets.UTF_8);
    }

    /** The whole page. */
    static String markdown() {
        CommandLine root = FortressCommand.newCommandLine(Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        StringBuilder md = new StringBuilder();
        md.append("# The fortress command\n\n");
        md.append("<!-- Generated from the picocli model of io.fortress.cli.FortressCommand by io.fortress.cli.CliReference; do not edit.\n")
                .append("     CliReferenceTest fails when this page and the code differ. Regenerate with:\n     ")
                .append(REGENERATE).append(" -->\n\n");
        md.append("`bin/fortress` runs the command, building its jar first when it is missing or older than the sources. Every\n")
                .append("command also takes `-h`/`--help` (its usage, with its exit statuses) and `-V`/`--version`. Settings come\n")
                .append("from the environment ([Environment variables](#environment-variables)), never from arguments, so no\n")
                .append("password shows in the process list. Without `DB_HOST`, commands work on the embedded cluster in\n")
                .append("`FORTRESS_DATA_DIR`.\n\n");
        md.append("## Commands\n\n");
        index(root, md, 0);
        md.append('\n');
        command(root, md);
        environment(md);
        return md.toString();
    }

    private static void index(CommandLine command, StringBuilder md, int depth) {
        CommandSpec spec = command.getCommandSpec();
        md.append("  ".repeat(depth)).append("- [`").append(spec.qualifiedName()).append("`](#").append(anchor(spec)).append("): ")
                .append(firstSentence(spec)).append('\n');
        command.getSubcommands().values().forEach(sub -> index(sub, md, depth + 1));
    }

    private static void command(CommandLine command, StringBuilder md) {
        CommandSpec spec = command.getCommandSpec();
        md.append("## `").append(spec.qualifiedName()).append("`\n\n");
        md.append(description(spec)).append("\n\n");
        CommandLine.Help help = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        md.append("```text\nUsage: ").append(help.synopsis(0).stripTrailing()).append("\n```\n\n");
        List<OptionSpec> options = spec.options().stream().filter(o -> !o.usageHelp() && !o.versionHelp() && !o.hidden()).toList();
        if (!options.isEmpty()) {
            md.append("| Option | Description |\n|---|---|\n");
            for (OptionSpec o : options) {
                String names = String.join(", ", o.names());
                String label = o.typeInfo().isBoolean() ? "" : " " + o.paramLabel();
                md.append("| `").append(names).append(label).append("` | ").append(cell(o.renderedDescription())).append(" |\n");
            }
            md.append('\n');
        }
        List<PositionalParamSpec> parameters = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!parameters.isEmpty()) {
            md.append("| Parameter | Required | Description |\n|---|---|---|\n");
            for (PositionalParamSpec p : parameters) {
                md.append("| `").append(p.paramLabel()).append("` | ").append(p.arity().min() > 0 ? "yes" : "no").append(" | ")
                        .append(cell(p.renderedDescription())).append(" |\n");
            }
            md.append('\n');
        }
        if (!command.getSubcommands().isEmpty()) {
            md.append("| Command | Does |\n|---|---|\n");
            for (CommandLine sub : command.getSubcommands().values()) {
                CommandSpec s = sub.getCommandSpec();
                md.append("| [`").append(s.name()).append("`](#").append(anchor(s)).append(") | ").append(cell(new String[] {firstSentence(s)}))
                        .append(" |\n");
            }
            md.append('\n');
        }
        Map<String, String> codes = spec.usageMessage().exitCodeList();
        if (codes.isEmpty()) {
            throw new IllegalStateException(spec.qualifiedName() + " has no exit statuses; add them to ExitStatus");
        }
        md.append("| Exit status | Meaning |\n|---|---|\n");
        codes.forEach((code, meaning) -> md.append("| ").append(code).append(" | ").append(cell(new String[] {meaning})).append(" |\n"));
        md.append('\n');
        command.getSubcommands().values().forEach(sub -> command(sub, md));
    }

    private static void environment(StringBuilder md) {
        md.append("## Environment variables\n\n");
        md.append("### Settings\n\n");
        md.append("Every command reads these settings; each is described once, with its default and accepted values, in\n")
                .append("[configuration.md](configuration.md). An invalid value stops the command with exit status 2 and a message\n")
                .append("naming the variable and what it accepts.\n\n");
        md.append("| Variable | Setting of | Described in |\n|---|---|---|\n");
        settings(md, DbSettings.ALL, "the data layer (DbSettings)", "Settings", "configuration.md#settings");
        settings(md, CliSettings.ALL, "the fortress command (CliSettings)", "The fortress command", "configuration.md#the-fortress-command");
        settings(md, BackupSettings.ALL, "backups (BackupSettings)", "Backup settings", "configuration.md#backup-settings");
        settings(md, MigrationSettings.ALL, "migrations (MigrationSettings)", "Migration settings", "configuration.md#migration-settings");
        md.append('\n');
        md.append("### Read by bin/fortress and the embedded cluster\n\n| Variable | Meaning |\n|---|---|\n");
        PROCESS_VARIABLES.forEach((name, meaning) -> md.append("| `").append(name).append("` | ").append(meaning).append(" |\n"));
        md.append('\n');
        md.append("### Exported by `fortress cluster env`\n\n")
                .append("`eval \"$(bin/fortress cluster env)\"` (or `cluster env --pgbouncer`) sets these in the shell, for psql,\n")
                .append("pg_dump and every later fortress command; unset `DB_HOST` and the others to go back to the default.\n\n")
                .append("| Variable | Value |\n|---|---|\n");
        CLUSTER_ENV_VARIABLES.forEach((name, meaning) -> md.append("| `").append(name).append("` | ").append(meaning).append(" |\n"));
    }

    private static void settings(StringBuilder md, List<? extends Setting<?>> settings, String part, String title, String link) {
        for (Setting<?> s : settings) {
            md.append("| `").append(s.variable()).append("` | ").append(part).append(" | [").append(title).append("](").append(link)
                    .append(") |\n");
        }
    }

    /** GitHub's anchor of a command's heading: its words joined by hyphens. */
    static String anchor(CommandSpec spec) {
        return spec.qualifiedName().replace(' ', '-');
    }

    /** The command's header and description as one paragraph. */
    private static String description(CommandSpec spec) {
        return (text(spec.usageMessage().header()) + " " + text(spec.usageMessage().description())).strip();
    }

    /** The description's first sentence ("e.g. " ends none). */
    private static String firstSentence(CommandSpec spec) {
        String all = description(spec);
        java.util.regex.Matcher end = java.util.regex.Pattern.compile("(?<!e\\.g|i\\.e)\\. ").matcher(all);
        String first = end.find() ? all.substring(0, end.start() + 1) : all;
        return first.isEmpty() ? "(no description)" : first;
    }

    /** Lines joined into one, picocli's %n line breaks included. */
    private static String text(String[] lines) {
        return String.join(" ", lines).replace("%n", " ").replaceAll("\\s+", " ").strip();
    }

    private static String cell(String[] lines) {
        return text(lines).replace("|", "\\|");
    }

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }
}
