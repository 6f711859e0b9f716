package io.fortress.db.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the client tools for a server. pg_dump refuses servers of a newer major version than its
 * own, and pg_restore cannot read archives of a newer pg_dump, so the tools must be at least the
 * server's (or archive's) major version. With {@code PG_BIN} set only that folder is used; otherwise
 * the newest qualifying folder among {@code pg_config --bindir}, {@code /usr/lib/postgresql/*}{@code /bin}
 * and the {@code PATH} is chosen.
 */
final class PgToolLocator {
    private static final List<String> TOOLS = List.of("pg_dump", "pg_restore", "pg_dumpall", "psql");

    private final Optional<Path> pgBin;
    /**
     * Found once per JVM (installed tools do not change under a running process): looking runs pg_config
     * and pg_dump --version, which cost a tenth of a small backup on every run.
     */
    private static final Map<Path, Optional<ClientTools>> PROBED = new java.util.concurrent.ConcurrentHashMap<>();
    private static volatile Map<Path, String> candidates;

    PgToolLocator(Optional<Path> pgBin) {
        this.pgBin = pgBin;
    }

    /**
     * The tools to use for a server or archive of the given major version.
     *
     * @param required what the tools must handle, e.g. "the server (PostgreSQL 15.18)"
     * @throws BackupException naming the required and the found versions when none qualifies
     */
    synchronized ClientTools locate(PgVersion minimum, String required) {
        List<ClientTools> found = new ArrayList<>();
        String looked;
        if (pgBin.isPresent()) {
            Path dir = pgBin.get().toAbsolutePath();
            if (!hasTools(dir)) {
                throw new BackupException("PG_BIN=" + pgBin.get() + " does not contain " + String.join(", ", TOOLS)
                        + "; point it at the bin folder of PostgreSQL client tools (e.g. /usr/lib/postgresql/16/bin) or unset it");
            }
            probe(dir, "PG_BIN").ifPresent(found::add);
            looked = "PG_BIN=" + pgBin.get();
        } else {
            Map<Path, String> dirs = candidates;
            if (dirs == null) {
                dirs = candidates();
                candidates = dirs;
            }
            for (Map.Entry<Path, String> candidate : dirs.entrySet()) {
                probe(candidate.getKey(), candidate.getValue()).ifPresent(found::add);
            }
            looked = "pg_config --bindir, /usr/lib/postgresql/*/bin and PATH";
        }
        return choose(found, minimum, required, looked);
    }

    /**
     * The newest of the found tools whose major version is at least {@code minimum}'s.
     *
     * @throws BackupException when none is, naming both versions and where it looked
     */
    static ClientTools choose(List<ClientTools> found, PgVersion minimum, String required, String looked) {
        Optional<ClientTools> best = found.stream()
                .filter(t -> t.version().major() >= minimum.major())
                .max(Comparator.comparingInt((ClientTools t) -> t.version().major()));
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

    private Optional<ClientTools> probe(Path dir, String source) {
        return PROBED.computeIfAbsent(dir, d -> {
            ToolProcess.Result r = ToolProcess.run(List.of(d.resolve("pg_dump").toString(), "--version"), Map.of(),
                    Duration.ofSeconds(30), null);
            if (!r.ok()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new ClientTools(d, PgVersion.parseToolOutput(r.stdout()), source));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        });
    }

    /** Folders that may hold client tools, with where each came from; ones without all four tools are left out. */
    private static Map<Path, String> candidates() {
        Map<Path, String> dirs = new LinkedHashMap<>();
        try {
            ToolProcess.Result r = ToolProcess.run(List.of("pg_config", "--bindir"), Map.of(), Duration.ofSeconds(30), null);
            if (r.ok()) {
                addIfTools(dirs, Path.of(r.stdout().strip()), "pg_config --bindir");
            }
        } catch (BackupException notInstalled) {
            // pg_config is not on the PATH
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                versions.sorted().forEach(v -> addIfTools(dirs, v.resolve("bin"), "/usr/lib/postgresql"));
            } catch (IOException ignored) {
                // unreadable: other places remain
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) {
                    addIfTools(dirs, Path.of(entry), "PATH");
                }
            }
        }
        return dirs;
    }

    private static void addIfTools(Map<Path, String> dirs, Path dir, String source) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return;
        }
        // /usr/bin/pg_dump on Debian is a wrapper script; the real folder is found through pg_config or /usr/lib/postgresql.
        if (hasTools(real)) {
            dirs.putIfAbsent(real, source);
        }
    }

    private static boolean hasTools(Path dir) {
        return TOOLS.stream().allMatch(t -> Files.isExecutable(dir.resolve(t)));
    }
}
