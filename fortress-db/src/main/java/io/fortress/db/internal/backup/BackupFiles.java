package io.fortress.db.internal.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** File steps of backups: listing an archive's files, sizes, SHA-256 checksums, fsync, and deletion. */
public final class BackupFiles {
    private BackupFiles() {
    }

    /**
     * The archive itself when it is a file; every entry under it that is not a folder, sorted, when it
     * is a folder. Symbolic links are never followed: a link is listed as itself (so checksums report
     * it as not in the manifest), and an archive that is a link is refused.
     */
    public static List<Path> regularFiles(Path archive) throws IOException {
        if (Files.isSymbolicLink(archive)) {
            throw new IOException(archive + " is a symbolic link; links in a backup folder are not followed");
        }
        if (!Files.isDirectory(archive, LinkOption.NOFOLLOW_LINKS)) {
            return List.of(archive);
        }
        try (Stream<Path> walk = Files.walk(archive)) {
            return walk.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Bytes under a path (a file's size, or a folder's files' total); 0 while it does not exist. */
    public static long sizeOf(Path path) {
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

    /** SHA-256 of a file's bytes; a symbolic link is refused, not followed. */
    public static byte[] sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = openNoFollow(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return digest.digest();
    }

    public static byte[] sha256(byte[] bytes) {
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
    public static void fsync(Path path) throws IOException {
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
    public static void force(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * Opens a file of a backup for reading without following a symbolic link in its last component
     * (a link planted in a backup folder would otherwise make fortress hash or upload any file).
     */
    public static InputStream openNoFollow(Path file) throws IOException {
        try {
            return Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.FileSystemException e) {
            if (Files.isSymbolicLink(file)) {
                throw new IOException(file + " is a symbolic link; links in a backup folder are not followed", e);
            }
            throw e;
        }
    }

    /**
     * Deletes a file, or a folder with everything in it, never following a symbolic link: a link is
     * removed itself, its target never. Inside the folder, entries are deleted relative to open folder
     * handles (SecureDirectoryStream on Linux), so a sub-folder swapped for a link meanwhile is not
     * deleted through either.
     */
    public static void deleteTree(Path root) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(root, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return;
        }
        if (attrs.isDirectory()) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
                if (entries instanceof SecureDirectoryStream<Path> secure) {
                    deleteContents(secure);
                } else {
                    deleteContentsWalking(root);
                }
            }
        }
        Files.deleteIfExists(root);
    }

    private static void deleteContents(SecureDirectoryStream<Path> folder) throws IOException {
        List<Path> names = new ArrayList<>();
        for (Path entry : folder) {
            names.add(entry.getFileName());
        }
        for (Path name : names) {
            BasicFileAttributes a;
            try {
                a = folder.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
            } catch (NoSuchFileException gone) {
                continue;
            }
            if (a.isDirectory()) {
                try (SecureDirectoryStream<Path> sub = folder.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    deleteContents(sub);
                }
                folder.deleteDirectory(name);
            } else {
                folder.deleteFile(name);
            }
        }
    }

    /** Where the file system offers no SecureDirectoryStream: a walk that does not follow links, deepest first. */
    private static void deleteContentsWalking(Path root) throws IOException {
        List<Path> deepestFirst; // a folder is empty by the time its turn comes
        try (Stream<Path> tree = Files.walk(root)) {
            deepestFirst = tree.filter(p -> !p.equals(root)).sorted(Comparator.reverseOrder()).toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        for (Path path : deepestFirst) {
            Files.deleteIfExists(path);
        }
    }

    public static void deleteQuietly(Path path) {
        try {
            deleteTree(path);
        } catch (IOException ignored) {
            // a leftover the next sweep removes
        }
    }
}
