package io.fortress.db.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/** Migration files in a folder on disk; sub-folders are skipped, as golang-migrate's file source does. */
final class DirectorySource implements MigrationSource {
    private final Path directory;

    DirectorySource(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
    }

    @Override
    public List<String> list() throws IOException {
        if (!Files.exists(directory)) {
            throw new NoSuchFileException(directory.toString(), null, "the migrations folder does not exist");
        }
        if (!Files.isDirectory(directory)) {
            throw new NotDirectoryException(directory.toString());
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public byte[] read(String fileName) throws IOException {
        Path file = directory.resolve(fileName).normalize();
        if (!directory.equals(file.getParent())) {
            throw new IOException(fileName + " is not a file directly in " + directory);
        }
        return Files.readAllBytes(file);
    }

    /** The folder, absolute. */
    Path directory() {
        return directory;
    }

    @Override
    public String describe() {
        return "directory " + directory;
    }

    @Override
    public String toString() {
        return describe();
    }
}
