package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Finds the client tools for a server. pg_dump refuses servers of a newer major version than its
 * own, and pg_restore cannot read archives of a newer pg_dump, so the tools must be at least the
 * server's (or archive's) major version. With {@code PG_BIN} set only that folder is used; otherwise
 * the newest qualifying folder among {@code pg_config --bindir}, {@code /usr/lib/postgresql/*}{@code /bin}
 * and the {@code PATH} is chosen.
 */
public final class PgToolLocator {
    private static final List<String> TOOLS = List.of("pg_dump", "pg_restore", "pg_dumpall", "psql");

    /**
     * What was found, kept for the JVM's life on the success path: looking runs pg_config and pg_dump
     * --version, which cost a tenth of a small backup on every run. Only successful probes are kept, and
     * when no folder qualifies everything is looked up afresh, so tools installed after a failure (as
     * its message advises) are found without a restart, and one failed probe does not rule out a folder.
     */
    private static final Map<Path, ClientTools> PROBED = new ConcurrentHashMap<>();
    private static volatile Set<Path> candidates;

    private final Optional<Path> pgBin;

    public PgToolLocator(Optional<Path> pgBin) {
        this.pgBin = pgBin;
    }

    /**
     * The tools to use for a server or archive of the given major version.
     *
     * @param required what the tools must handle, e.g. "the server (PostgreSQL 15.18)"
     * @throws BackupException naming the required and the found versions when none qualifies
     */
    public synchronized ClientTools locate(PgVersion minimum, String required) {
        List<ClientTools> found = find(false);
        if (best(found, minimum).isEmpty()) {
            found = find(true);
        }
        return choose(found, minimum, required, pgBin.map(p -> "PG_BIN=" + p).orElse("pg_config --bindir, /usr/lib/postgresql/*/bin and PATH"));
    }

    /** The tools of every candidate folder; {@code afresh} forgets what was found before and looks again. */
    private List<ClientTools> find(boolean afresh) {
        Set<Path> dirs;
        if (pgBin.isPresent()) {
            Path dir = pgBin.get().toAbsolutePath();
            if (!hasTools(dir)) {
                throw new BackupException("PG_BIN=" + pgBin.get() + " does not contain " + String.join(", ", TOOLS)
                        + "; point it at the bin folder of PostgreSQL client tools (e.g. /usr/lib/postgresql/16/bin) or unset it");
            }
            dirs = Set.of(dir);
        } else {
            dirs = afresh ? null : candidates;
            if (dirs == null) {
                dirs = candidates();
                candidates = dirs;
            }
        }
        List<ClientTools> found = new ArrayList<>();
        for (Path dir : dirs) {
            if (afresh) {
                PROBED.remove(dir);
            }
            probe(dir).ifPresent(found::add);
        }
        return found;
    }

    /**
     * The newest of the found tools whose major version is at least {@code minimum}'s.
     *
     * @throws BackupException when none is, naming both versions and where it looked
     */
    public static ClientTools choose(List<ClientTools> found, PgVersion minimum, String required, String looked) {
        Optional<ClientTools> best = best(found, minimum);
        if (best.isPresent()) {
            return best.get();
        }
        if (found.isEmpty()) {
            throw new BackupException("no PostgreSQL client tools (" + String.join(", ", TOOLS) + ") found in " + looked
                    + "; install them (Debian: apt-get install postgresql-client-" + minimum.majorText()
                    + ") or set PG_BIN to their folder");
        }
        ClientTools newest = found.stream().max(Comparator.comparingInt((ClientTools t) -> t.version().major())).get();
        throw new BackupException("pg_dump " + newest.version().text() + " (" + newest.binDir() + ", the newest found in " + looked
                + ") is older than " + required + ": the client tools must be PostgreSQL " + minimum.majorText()
                + " or newer, because pg_dump refuses newer servers and pg_restore cannot read newer archives; install the "
                + "PostgreSQL " + minimum.majorText() + " client tools and/or set PG_BIN to their folder");
    }

    private static Optional<ClientTools> best(List<ClientTools> found, PgVersion minimum) {
        return found.stream()
                .filter(t -> t.version().major() >= minimum.major())
                .max(Comparator.comparingInt((ClientTools t) -> t.version().major()));
    }

    /** The folder's tools and their version; a failed probe is not kept, so the folder is tried again next time. */
    private static Optional<ClientTools> probe(Path dir) {
        ClientTools known = PROBED.get(dir);
        if (known != null) {
            return Optional.of(known);
        }
        ToolProcess.Result r = ToolProcess.run(List.of(dir.resolve("pg_dump").toString(), "--version"), Map.of(),
                Duration.ofSeconds(30), null, null);
        if (!r.ok()) {
            return Optional.empty();
        }
        try {
            ClientTools tools = new ClientTools(dir, PgVersion.parseToolOutput(r.stdout()));
            PROBED.put(dir, tools);
            return Optional.of(tools);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Folders that may hold client tools, in the order found; ones without all four tools are left out. */
    private static Set<Path> candidates() {
        Set<Path> dirs = new LinkedHashSet<>();
        try {
            ToolProcess.Result r = ToolProcess.run(List.of("pg_config", "--bindir"), Map.of(), Duration.ofSeconds(30), null, null);
            if (r.ok()) {
                addIfTools(dirs, Path.of(r.stdout().strip()));
            }
        } catch (BackupException notInstalled) {
            // pg_config is not on the PATH
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                versions.sorted().forEach(v -> addIfTools(dirs, v.resolve("bin")));
            } catch (IOException ignored) {
                // unreadable: other places remain
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) {
                    addIfTools(dirs, Path.of(entry));
                }
            }
        }
        return dirs;
    }

    private static void addIfTools(Set<Path> dirs, Path dir) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return;
        }
        // /usr/bin/pg_dump on Debian is a wrapper script; the real folder is found through pg_config or /usr/lib/postgresql.
        if (hasTools(real)) {
            dirs.add(real);
        }
    }

    private static boolean hasTools(Path dir) {
        return TOOLS.stream().allMatch(t -> Files.isExecutable(dir.resolve(t)));
    }
}
