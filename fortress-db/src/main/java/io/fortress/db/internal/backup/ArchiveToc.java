package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An archive's table of contents as {@code pg_restore --list --verbose} prints it: the header
 * (format, versions, entry count) and every entry with what it depends on. Entries print as
 * {@code <dumpId>; <catalog> <oid> <TYPE> <schema> <name> <owner>}, where the type may have
 * several words and nothing is quoted, so entries are matched by known types and name prefixes.
 */
public final class ArchiveToc {
    /** Entry types of more than one word; anything else is one word. */
    private static final List<String> MULTI_WORD_TYPES = List.of("TABLE DATA", "FK CONSTRAINT", "CHECK CONSTRAINT",
            "SEQUENCE SET", "SEQUENCE OWNED BY", "MATERIALIZED VIEW DATA", "MATERIALIZED VIEW", "DEFAULT ACL",
            "ROW SECURITY", "EVENT TRIGGER", "FOREIGN TABLE", "FOREIGN DATA WRAPPER", "FOREIGN SERVER", "USER MAPPING",
            "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE",
            "LARGE OBJECT", "BLOB METADATA", "PROCEDURAL LANGUAGE", "OPERATOR CLASS", "OPERATOR FAMILY", "ACCESS METHOD",
            "PUBLICATION TABLES IN SCHEMA", "PUBLICATION TABLE", "STATISTICS DATA")
            .stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
    // DOTALL: a name may hold \r, U+0085 or U+2028, which '.' does not match otherwise; lines end at \n only
    private static final Pattern ENTRY = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.*)$", Pattern.DOTALL);
    private static final Pattern HEADER = Pattern.compile("^;\\s+([A-Za-z][A-Za-z ]*[A-Za-z]):\\s*(.*)$", Pattern.DOTALL);
    private static final Pattern DEPENDS = Pattern.compile("^;\\s*depends on:(.*)$", Pattern.DOTALL);
    /** Entries pg_restore needs whatever is selected (client encoding, standard_conforming_strings, search_path). */
    public static final Set<String> SETTINGS_TYPES = Set.of("ENCODING", "STDSTRINGS", "SEARCHPATH");

    /** One entry; {@code rest} is "schema name owner" as printed. */
    public record Entry(int dumpId, String type, String rest, String line, List<Integer> dependsOn) {
        /** True when the entry is of the given type and its schema and name are the given ones. */
        boolean is(String entryType, String schema, String name) {
            return type.equals(entryType) && rest.startsWith(schema + " " + name + " ");
        }

        boolean inSchema(String schema) {
            return rest.startsWith(schema + " ");
        }
    }

    private final Map<String, String> header;
    private final List<Entry> entries;

    private ArchiveToc(Map<String, String> header, List<Entry> entries) {
        this.header = header;
        this.entries = entries;
    }

    /**
     * Lists an archive with {@code pg_restore --list --verbose}. Listing reads the file only and never
     * connects, so the tool gets no connection settings or credentials.
     *
     * @throws BackupException when pg_restore cannot read the archive, with its error
     */
    public static ArchiveToc read(ClientTools tools, Path archive, Duration timeout) {
        ToolProcess.Result r = ToolProcess.run(List.of(tools.pgRestore(), "--list", "--verbose", archive.toString()), Map.of(),
                timeout, null);
        if (!r.ok()) {
            throw new BackupException(r.failure() + ", listing the contents of " + archive + " (pg_restore --list): " + r.errorTail(4));
        }
        return parse(r.stdout());
    }

    /** @throws BackupException when a dump id, dependency or the entry count is not an int */
    public static ArchiveToc parse(String listing) {
        Map<String, String> header = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        Entry last = null;
        for (String line : listing.split("\n")) {
            Matcher e = ENTRY.matcher(line);
            if (e.matches()) {
                String body = e.group(4);
                String type = typeOf(body);
                String rest = body.length() > type.length() ? body.substring(type.length() + 1) : "";
                last = new Entry(number(e.group(1), line), type, rest, line, new ArrayList<>());
                entries.add(last);
                continue;
            }
            Matcher d = DEPENDS.matcher(line);
            if (d.matches() && last != null) {
                for (String id : d.group(1).trim().split("\\s+")) {
                    if (!id.isEmpty()) {
                        last.dependsOn().add(number(id, line));
                    }
                }
                continue;
            }
            Matcher h = HEADER.matcher(line);
            if (h.matches() && entries.isEmpty()) {
                header.putIfAbsent(h.group(1), h.group(2).strip());
                if (h.group(1).equals("TOC Entries")) {
                    number(h.group(2).strip(), line);
                }
            }
        }
        return new ArchiveToc(header, entries);
    }

    /**
     * A dump id or entry count: an int, as pg_restore prints them; anything else is a listing this reader cannot trust.
     *
     * @throws BackupException naming the line
     */
    private static int number(String text, String line) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new BackupException("pg_restore --list printed a line whose number '" + text + "' is not a dump id or count: " + line);
        }
    }

    private static String typeOf(String body) {
        for (String t : MULTI_WORD_TYPES) {
            if (body.startsWith(t + " ")) {
                return t;
            }
        }
        int space = body.indexOf(' ');
        return space < 0 ? body : body.substring(0, space);
    }

    public List<Entry> entries() {
        return entries;
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(header.get(name));
    }

    /** "CUSTOM", "DIRECTORY", ... */
    public Optional<String> format() {
        return header("Format");
    }

    public Optional<Integer> declaredEntries() {
        return header("TOC Entries").map(Integer::parseInt);
    }

    public boolean hasTableData(String schema, String name) {
        return entries.stream().anyMatch(e -> e.is("TABLE DATA", schema, name));
    }

    public Optional<Entry> find(String type, String schema, String name) {
        return entries.stream().filter(e -> e.is(type, schema, name)).findFirst();
    }
}
