package io.fortress.db.migrate;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The migrations of a source, by version, read the way golang-migrate reads them: names matching
 * {@code ^([0-9]+)_(.*)\.(down|up)\.(.*)$}, numeric order, leading zeros ignored.
 *
 * <p>Stricter than golang-migrate, so that both tools always see the same migrations: a name
 * golang-migrate would read but whose extension is not {@code .sql} (such as {@code 1_x.up.sql.bak}),
 * a version above 2^63-1, two files for one version and direction (also {@code 001_a} and {@code 1_b}),
 * and a name ending in {@code .up.sql} or {@code .down.sql} that does not match the pattern (such as
 * {@code 1.up.sql} or {@code 1_x.UP.sql}, which golang-migrate would silently skip) are all errors.
 * Other files are ignored.
 */
final class MigrationCatalog {
    private static final Pattern NAME = Pattern.compile("^([0-9]+)_(.*)\\.(down|up)\\.(.*)$");
    private static final BigInteger MAX_VERSION = BigInteger.valueOf(Long.MAX_VALUE);

    private final String source;
    private final java.nio.file.Path folder;
    private final NavigableMap<Long, Migration> migrations;

    private MigrationCatalog(String source, java.nio.file.Path folder, NavigableMap<Long, Migration> migrations) {
        this.source = source;
        this.folder = folder;
        this.migrations = migrations;
    }

    /**
     * Reads every file of the source.
     *
     * @throws MigrationSourceException listing every unreadable, malformed or duplicate file
     */
    static MigrationCatalog load(MigrationSource source) {
        List<String> names;
        try {
            names = source.list();
        } catch (IOException e) {
            throw new MigrationSourceException(source.describe(), List.of("cannot list the files: " + e), e);
        }
        List<String> problems = new ArrayList<>();
        Map<Long, String[]> files = new TreeMap<>();
        Map<Long, Script[]> scripts = new TreeMap<>();
        IOException firstIoError = null;
        for (String fileName : names) {
            Matcher m = NAME.matcher(fileName);
            if (!m.matches()) {
                String lower = fileName.toLowerCase(Locale.ROOT);
                if (lower.endsWith(".up.sql") || lower.endsWith(".down.sql")) {
                    problems.add(fileName + " looks like a migration but does not match <version>_<name>.up.sql or"
                            + " <version>_<name>.down.sql (version digits, an underscore, lower-case up/down); golang-migrate would"
                            + " skip it silently; rename it");
                }
                continue;
            }
            if (!m.group(4).equals("sql")) {
                problems.add(fileName + " has the extension '." + m.group(4) + "' but golang-migrate reads it as a migration of version "
                        + m.group(1) + "; migration files must end in .sql: rename or remove it");
                continue;
            }
            BigInteger big = new BigInteger(m.group(1));
            if (big.compareTo(MAX_VERSION) > 0) {
                problems.add(fileName + " has version " + m.group(1) + ", above the largest version the bigint column"
                        + " schema_migrations.version holds (" + Long.MAX_VALUE + ")");
                continue;
            }
            long version = big.longValue();
            int slot = m.group(3).equals("up") ? 0 : 1;
            String[] pair = files.computeIfAbsent(version, v -> new String[2]);
            if (pair[slot] != null) {
                problems.add("version " + version + " has two " + m.group(3) + " files, " + pair[slot] + " and " + fileName
                        + " (golang-migrate: duplicate migration); keep one");
                continue;
            }
            pair[slot] = fileName;
            try {
                String text = SqlText.decode(source.read(fileName));
                scripts.computeIfAbsent(version, v -> new Script[2])[slot] = Script.of(fileName, version, text);
            } catch (IOException e) {
                problems.add(fileName + " cannot be read: " + e);
                firstIoError = firstIoError == null ? e : firstIoError;
            } catch (IllegalArgumentException e) {
                problems.add(fileName + " " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new MigrationSourceException(source.describe(), problems, firstIoError);
        }
        NavigableMap<Long, Migration> migrations = new TreeMap<>();
        for (Map.Entry<Long, Script[]> e : scripts.entrySet()) {
            Script up = e.getValue()[0];
            Script down = e.getValue()[1];
            Matcher m = NAME.matcher(up != null ? up.fileName() : down.fileName());
            String name = m.matches() ? m.group(2) : "";
            migrations.put(e.getKey(), new Migration(e.getKey(), name, up, down));
        }
        return new MigrationCatalog(source.describe(), source instanceof DirectorySource d ? d.directory() : null, migrations);
    }

    String source() {
        return source;
    }

    /** The folder on disk the files come from; null for other sources (the classpath). */
    java.nio.file.Path folder() {
        return folder;
    }

    Collection<Migration> all() {
        return migrations.values();
    }

    boolean isEmpty() {
        return migrations.isEmpty();
    }

    boolean contains(long version) {
        return migrations.containsKey(version);
    }

    Migration get(long version) {
        return migrations.get(version);
    }

    /** The highest version; -1 when there is none. */
    long latest() {
        return migrations.isEmpty() ? -1 : migrations.lastKey();
    }

    /** The version after the given one (the first when given -1); null at the end. */
    Long next(long version) {
        return migrations.higherKey(version);
    }

    /** The version before the given one; -1 (nil) below the first. */
    long previous(long version) {
        Long lower = migrations.lowerKey(version);
        return lower == null ? -1 : lower;
    }

    /** Source-wide findings: each file's lint and versions without a down file. */
    List<Finding> lint() {
        List<Finding> findings = new ArrayList<>();
        for (Migration m : migrations.values()) {
            if (m.up() != null) {
                findings.addAll(m.up().analysis().findings());
                if (m.down() == null) {
                    findings.add(Finding.warning(Finding.Kind.MISSING_DOWN, m.version(), m.up().fileName(), m.up().fileName()
                            + " has no down file, so version " + m.version() + " cannot be rolled back; add "
                            + m.up().fileName().replaceFirst("\\.up\\.sql$", ".down.sql")
                            + " (holding only a comment if there is nothing to undo)"));
                }
            }
            if (m.down() != null) {
                findings.addAll(m.down().analysis().findings());
            }
        }
        return findings;
    }
}
