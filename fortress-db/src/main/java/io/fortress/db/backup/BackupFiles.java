package io.fortress.db.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** File steps of backups: listing an archive's files, sizes, SHA-256 checksums, fsync, and deletion. */
final class BackupFiles {
    private BackupFiles() {
    }

    /** The archive itself when it is a file; every regular file under it, sorted, when it is a folder. */
    static List<Path> regularFiles(Path archive) throws IOException {
        if (!Files.isDirectory(archive)) {
            return List.of(archive);
        }
        try (Stream<Path> walk = Files.walk(archive)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Bytes under a path (a file's size, or a folder's files' total); 0 while it does not exist. */
    static long sizeOf(Path path) {
        try {
            if (!Files.exists(path)) {
                return 0;
            }
            long total = 0;
            for (Path f : regularFiles(path)) {
                try {
                    total += Files.size(f);
                } catch (NoSuchFileException gone) {
                    // written and removed meanwhile
                }
            }
            return total;
        } catch (IOException e) {
            return 0;
        }
    }

    static byte[] sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return digest.digest();
    }

    static byte[] sha256(byte[] bytes) {
        return newDigest().digest(bytes);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Flushes a file, or a folder's entries and the files directly in it (a directory archive is flat), to stable storage. */
    static void fsync(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            try (Stream<Path> children = Files.list(path)) {
                for (Path child : children.filter(Files::isRegularFile).toList()) {
                    force(child);
                }
            }
        }
        force(path);
    }

    /** fsync of one file, or of a folder's entries only. */
    static void force(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> deepestFirst; // a folder is empty by the time its turn comes
        try (Stream<Path> tree = Files.walk(root)) {
            deepestFirst = tree.sorted(Comparator.reverseOrder()).toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        for (Path path : deepestFirst) {
            Files.deleteIfExists(path);
        }
    }

    static void deleteQuietly(Path path) {
        try {
            deleteTree(path);
        } catch (IOException ignored) {
            // a leftover the next sweep removes
        }
    }
}
