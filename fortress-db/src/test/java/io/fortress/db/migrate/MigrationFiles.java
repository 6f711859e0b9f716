package io.fortress.db.migrate;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/** Writes migration folders and jars for tests. */
final class MigrationFiles {
    private final Map<String, String> files = new LinkedHashMap<>();

    static MigrationFiles of() {
        return new MigrationFiles();
    }

    MigrationFiles add(String name, String sql) {
        files.put(name, sql);
        return this;
    }

    /** Writes every file into the folder (created when missing) and returns it. */
    Path writeTo(Path dir) {
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, String> e : files.entrySet()) {
                Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a jar holding the files under the folder, with directory entries as Maven's jar plugin makes them. */
    Path writeJar(Path jar, String folder) {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            StringBuilder path = new StringBuilder();
            for (String part : folder.split("/")) {
                path.append(part).append('/');
                j.putNextEntry(new JarEntry(path.toString()));
                j.closeEntry();
            }
            for (Map.Entry<String, String> e : files.entrySet()) {
                j.putNextEntry(new JarEntry(folder + "/" + e.getKey()));
                j.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
