package io.fortress.db.migrate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where migration files come from: a flat folder of golang-migrate files,
 * {@code <version>_<name>.up.sql} and {@code <version>_<name>.down.sql}.
 *
 * <p>Like golang-migrate's source drivers, a source only lists and reads files; parsing names,
 * ordering versions and refusing duplicates is the engine's job, so every source behaves the same.
 * Implement it to read migrations from anywhere else.
 */
public interface MigrationSource {
    /** The names of the files directly in the source (not in sub-folders), in any order. */
    List<String> list() throws IOException;

    /** The bytes of one file that {@link #list()} named. */
    byte[] read(String fileName) throws IOException;

    /** Where the files come from, for messages: e.g. {@code directory /srv/migrations/credits}. */
    String describe();

    /** The migration files in a folder on disk. */
    static MigrationSource directory(Path directory) {
        return new DirectorySource(directory);
    }

    /**
     * The migration files in a folder on the classpath, e.g. {@code migrations/credits}, found with
     * this class's class loader; works for folders on disk and inside jars.
     */
    static MigrationSource classpath(String folder) {
        return new ClasspathSource(folder, MigrationSource.class.getClassLoader());
    }

    /** The migration files in a classpath folder, found with the given class loader. */
    static MigrationSource classpath(String folder, ClassLoader classLoader) {
        return new ClasspathSource(folder, classLoader);
    }
}
