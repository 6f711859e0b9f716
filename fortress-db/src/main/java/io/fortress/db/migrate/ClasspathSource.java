package io.fortress.db.migrate;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Migration files in a classpath folder such as {@code migrations/credits}, on disk (an IDE or
 * Maven build) or inside a jar. The folder must exist in exactly one classpath entry: the same
 * folder in two jars would make the set of migrations depend on classpath order.
 */
final class ClasspathSource implements MigrationSource {
    private final String folder;
    private final ClassLoader classLoader;

    ClasspathSource(String folder, ClassLoader classLoader) {
        Objects.requireNonNull(folder, "folder");
        String trimmed = folder.strip();
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("the classpath folder of migrations is empty; give one such as migrations/credits");
        }
        this.folder = trimmed;
        this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
    }

    @Override
    public List<String> list() throws IOException {
        URL url = locate();
        if ("file".equals(url.getProtocol())) {
            Path dir;
            try {
                dir = Path.of(url.toURI());
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new IOException("cannot read classpath folder " + folder + " at " + url, e);
            }
            try (Stream<Path> files = Files.list(dir)) {
                return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
            }
        }
        if ("jar".equals(url.getProtocol())) {
            JarURLConnection connection = (JarURLConnection) url.openConnection();
            connection.setUseCaches(false);
            String prefix = folder + "/";
            List<String> names = new ArrayList<>();
            try (JarFile jar = connection.getJarFile()) {
                for (JarEntry entry : Collections.list(jar.entries())) {
                    String name = entry.getName();
                    if (!entry.isDirectory() && name.startsWith(prefix) && name.indexOf('/', prefix.length()) < 0) {
                        names.add(name.substring(prefix.length()));
                    }
                }
            }
            Collections.sort(names);
            return names;
        }
        throw new IOException("classpath folder " + folder + " is at " + url + "; only folders on disk (file:) and in jars (jar:) can be listed");
    }

    @Override
    public byte[] read(String fileName) throws IOException {
        if (fileName.contains("/") || fileName.contains("\\")) {
            throw new IOException(fileName + " is not a file directly in classpath folder " + folder);
        }
        URL url = locate();
        URL file = new URL(url.toString().endsWith("/") ? url + fileName : url + "/" + fileName);
        var connection = file.openConnection();
        connection.setUseCaches(false);
        try (InputStream in = connection.getInputStream()) {
            return in.readAllBytes();
        }
    }

    /** The one classpath location of the folder. */
    private URL locate() throws IOException {
        List<URL> found = Collections.list(classLoader.getResources(folder));
        if (found.isEmpty()) {
            throw new FileNotFoundException("classpath folder " + folder + " does not exist (is it packaged into the jar?)");
        }
        if (found.size() > 1) {
            throw new IOException("classpath folder " + folder + " exists in " + found.size() + " places (" + found
                    + "); keep migrations in one jar or folder so their set does not depend on classpath order");
        }
        return found.get(0);
    }

    @Override
    public String describe() {
        return "classpath folder " + folder;
    }

    @Override
    public String toString() {
        return describe();
    }
}
