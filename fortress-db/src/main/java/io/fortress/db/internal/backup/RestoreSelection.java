package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.RestoreOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Chooses the archive entries for a restore of some schemas or tables, as a {@code pg_restore
 * --use-list} file. pg_restore's own {@code -t} leaves out a table's indexes and constraints and
 * {@code -n} does not create the schema, so the list is built from the archive's dependencies:
 * <ul>
 *   <li>a schema: every entry in it, and the schema itself when the target lacks it;</li>
 *   <li>a table: its definition and data, and what hangs off it (indexes, constraints, triggers,
 *       defaults, owned sequences and their values, comments, privileges, policies, rules). A
 *       foreign key to a table that is not restored is left out and reported.</li>
 * </ul>
 * Into an empty database, the types, functions and schemas the chosen entries need come along.
 */
public final class RestoreSelection {
    /** What may be restored along with a chosen table. */
    private static final Set<String> DEPENDENT_TYPES = Set.of("INDEX", "INDEX ATTACH", "CONSTRAINT", "CHECK CONSTRAINT",
            "FK CONSTRAINT", "TRIGGER", "DEFAULT", "SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET", "COMMENT", "ACL", "POLICY",
            "ROW SECURITY", "RULE", "STATISTICS");
    /** Definitions a chosen entry may need in an empty database. */
    private static final Set<String> DEFINITION_TYPES = Set.of("SCHEMA", "TYPE", "SHELL TYPE", "DOMAIN", "FUNCTION",
            "PROCEDURE", "AGGREGATE", "COLLATION", "EXTENSION", "SEQUENCE", "OPERATOR", "TEXT SEARCH CONFIGURATION",
            "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE");

    private final List<ArchiveToc.Entry> chosen;
    private final List<String> leftOut;

    private RestoreSelection(List<ArchiveToc.Entry> chosen, List<String> leftOut) {
        this.chosen = chosen;
        this.leftOut = leftOut;
    }

    /**
     * @param schemaExists whether the target already has a schema (its SCHEMA entry is then not restored)
     * @param withDefinitions whether to bring the definitions chosen entries need (restores into an empty database)
     * @throws BackupException naming a schema or table the archive does not hold
     */
    public static RestoreSelection of(ArchiveToc toc, List<String> schemas, List<RestoreOptions.TableName> tables,
                               Predicate<String> schemaExists, boolean withDefinitions) {
        Map<Integer, ArchiveToc.Entry> byId = new HashMap<>();
        toc.entries().forEach(e -> byId.put(e.dumpId(), e));
        Set<Integer> selected = new LinkedHashSet<>();
        Set<Integer> anchors = new LinkedHashSet<>();
        Set<String> leftOut = new LinkedHashSet<>(); // the loop below meets an entry once per round
        for (ArchiveToc.Entry e : toc.entries()) {
            if (ArchiveToc.SETTINGS_TYPES.contains(e.type())) {
                selected.add(e.dumpId());
            }
        }
        for (String schema : schemas) {
            boolean any = false;
            for (ArchiveToc.Entry e : toc.entries()) {
                if (e.inSchema(schema) && !e.type().equals("SCHEMA")) {
                    selected.add(e.dumpId());
                    any = true;
                } else if (e.type().equals("SCHEMA") && e.rest().startsWith("- " + schema + " ")) {
                    any = true;
                    if (!schemaExists.test(schema)) {
                        selected.add(e.dumpId());
                    }
                }
            }
            if (!any) {
                throw new BackupException("schema " + schema + " is not in the backup");
            }
        }
        for (RestoreOptions.TableName table : tables) {
            ArchiveToc.Entry definition = toc.find("TABLE", table.schema(), table.name())
                    .or(() -> toc.find("TABLE DATA", table.schema(), table.name()))
                    .orElseThrow(() -> new BackupException("table " + table + " is not in the backup"));
            selected.add(definition.dumpId());
            anchors.add(definition.dumpId());
            toc.find("TABLE DATA", table.schema(), table.name()).ifPresent(d -> selected.add(d.dumpId()));
        }
        Set<Integer> chosenTables = Set.copyOf(anchors);
        boolean grew = !anchors.isEmpty();
        while (grew) {
            grew = false;
            for (ArchiveToc.Entry e : toc.entries()) {
                if (selected.contains(e.dumpId()) || e.dependsOn().stream().noneMatch(anchors::contains)) {
                    continue;
                }
                if (!DEPENDENT_TYPES.contains(e.type())) {
                    continue; // views and the like stand on their own; they are restored by naming them
                }
                boolean otherTable = e.dependsOn().stream().map(byId::get)
                        .anyMatch(d -> d != null && d.type().equals("TABLE") && !chosenTables.contains(d.dumpId()));
                if (otherTable) {
                    leftOut.add(e.type() + " " + e.rest() + " (it refers to a table that is not restored)");
                    continue;
                }
                selected.add(e.dumpId());
                anchors.add(e.dumpId());
                grew = true;
            }
        }
        if (withDefinitions) {
            List<Integer> queue = new ArrayList<>(selected);
            for (int i = 0; i < queue.size(); i++) {
                ArchiveToc.Entry e = byId.get(queue.get(i));
                if (e == null) {
                    continue;
                }
                for (int dep : e.dependsOn()) {
                    ArchiveToc.Entry d = byId.get(dep);
                    if (d == null || selected.contains(dep) || !DEFINITION_TYPES.contains(d.type())) {
                        continue;
                    }
                    if (d.type().equals("SCHEMA") && schemaExists.test(d.rest().substring(2, Math.max(2, d.rest().lastIndexOf(' '))))) {
                        continue;
                    }
                    selected.add(dep);
                    queue.add(dep);
                }
            }
        }
        List<ArchiveToc.Entry> chosen = toc.entries().stream().filter(e -> selected.contains(e.dumpId())).toList();
        return new RestoreSelection(chosen, List.copyOf(leftOut));
    }

    /** The {@code --use-list} file's content. */
    public String listFile() {
        StringBuilder sb = new StringBuilder();
        chosen.forEach(e -> sb.append(e.line()).append('\n'));
        return sb.toString();
    }

    public List<ArchiveToc.Entry> chosen() {
        return chosen;
    }

    /** Entries that belong with the chosen ones but were left out, and why. */
    public List<String> leftOut() {
        return leftOut;
    }
}
