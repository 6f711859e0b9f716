package io.fortress.db.internal.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupFormat;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.BackupProgress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup folder: how backups are named, published crash-safely, listed, read and deleted.
 *
 * <p>A backup {@code <id>} is an archive ({@code <id>.dump} file or {@code <id>.dir} folder), an
 * optional {@code <id>.globals.sql}, and {@code <id>.manifest.json}; the archive and globals are
 * readable by their owner only. Everything is written under a
 * {@code .partial} name, fsynced, renamed, and the folder fsynced; the manifest comes last. Ids are
 * {@code <database>_<yyyyMMdd_HHmmss>} in UTC, the names the backup tool has always given its files.
 */
public final class BackupStore {
    private static final Logger LOG = LoggerFactory.getLogger(BackupStore.class);
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final String MANIFEST_SUFFIX = ".manifest.json";
    public static final String GLOBALS_SUFFIX = ".globals.sql";
    public static final String PARTIAL_SUFFIX = ".partial";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC);

    private final Path dir;

    public BackupStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public Path dir() {
        return dir;
    }

    /** Creates the folder when missing (0700, as it holds every database's data); fails clearly when it cannot be written. */
    public void ensureWritable() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new BackupException("cannot create the backup folder " + dir + " (BACKUP_DIR): " + e.getMessage(), e);
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new BackupException("the backup folder " + dir + " (BACKUP_DIR) is not a writable folder");
        }
        checkNotShared();
    }

    /**
     * Refuses a backup folder that group or others may write, as ssh refuses such a key file: anyone
     * who can write there can plant manifests and archives that restore would load, or replace the
     * lock file. A folder that does not exist yet is created 0700 later.
     *
     * @throws BackupException naming the folder, its mode and the chmod that fixes it
     */
    public void checkNotShared() {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(dir);
        } catch (java.nio.file.NoSuchFileException missing) {
            return;
        } catch (UnsupportedOperationException | IOException e) {
            return; // not a POSIX file system: nothing to check against
        }
        if (mode.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                || mode.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
            throw new BackupException("the backup folder " + dir + " (BACKUP_DIR) is writable by "
                    + (mode.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE) ? "others" : "its group") + " (mode "
                    + PosixFilePermissions.toString(mode) + "): whoever can write there could plant a backup that a restore "
                    + "would load; run: chmod go-w " + dir + " (or point BACKUP_DIR at a folder only fortress's user writes)");
        }
    }

    /**
     * Refuses to start a backup whose archive would likely not fit: the disk of the folder must have
     * {@code margin} times the size of the database's newest backup free. The first backup has nothing
     * to estimate from and is not checked; a disk that fills anyway fails the run, which removes its files.
     */
    public void checkFreeSpace(String database, double margin) {
        if (margin == 0) {
            return;
        }
        Optional<BackupInfo> last = list(database).stream().findFirst();
        if (last.isEmpty()) {
            return;
        }
        long lastSize = last.get().sizeBytes();
        long needed = (long) Math.ceil(lastSize * margin); // the cast saturates at Long.MAX_VALUE
        long free;
        try {
            free = Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            throw new BackupException("cannot read the free space of the backup folder " + dir + ": " + e.getMessage(), e);
        }
        if (free < needed) {
            throw new BackupException("not enough free space for a backup of database " + database + " in " + dir + ": "
                    + BackupProgress.humanBytes(free) + " free, " + BackupProgress.humanBytes(needed) + " needed (BACKUP_FREE_SPACE_MARGIN "
                    + margin + " times the last backup " + last.get().id() + ", " + BackupProgress.humanBytes(lastSize)
                    + "); free some space, run cleanup, or lower BACKUP_FREE_SPACE_MARGIN (0 turns the check off)");
        }
    }

    /**
     * The file-name form of a database name: letters, digits, '_' and '-' kept, anything else replaced,
     * plus a short hash when something was replaced, so that different names never share a prefix.
     */
    public static String filePrefix(String database) {
        StringBuilder sb = new StringBuilder();
        for (char c : database.toCharArray()) {
            sb.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-') ? c : '_');
        }
        String safe = sb.toString();
        if (safe.startsWith("-")) {
            safe = "_" + safe.substring(1);
        }
        if (!safe.equals(database)) {
            safe = safe + "-" + HexFormat.of().formatHex(BackupFiles.sha256(database.getBytes(StandardCharsets.UTF_8)), 0, 4);
        }
        return safe;
    }

    /** Archives, globals, partials and manifests of one database: {@code <prefix>_<yyyyMMdd_HHmmss>[_n]<suffix>}. */
    public static Pattern namePattern(String database) {
        return Pattern.compile(Pattern.quote(filePrefix(database)) + "_(\\d{8}_\\d{6}(?:_\\d+)?)(\\..+)");
    }

    /** A new id for a backup starting now; a suffix keeps ids unique within one second. */
    public String newId(String database, Instant now) {
        String base = filePrefix(database) + "_" + STAMP.format(now);
        String id = base;
        for (int n = 1; taken(id); n++) {
            id = base + "_" + n;
        }
        return id;
    }

    private boolean taken(String id) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith(id + "."));
        } catch (IOException e) {
            throw new BackupException("cannot list the backup folder " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path archive(String id, BackupFormat format) {
        return dir.resolve(id + format.suffix());
    }

    public Path manifest(String id) {
        return dir.resolve(id + MANIFEST_SUFFIX);
    }

    public Path globals(String id) {
        return dir.resolve(id + GLOBALS_SUFFIX);
    }

    public static Path partial(Path target) {
        return target.resolveSibling(target.getFileName() + PARTIAL_SUFFIX);
    }

    /** Every backup with a valid manifest (of one database, or all when null), newest first by manifest start time. */
    public List<BackupInfo> list(String database) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<BackupInfo> backups = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(MANIFEST_SUFFIX)).toList()) {
                read(p).filter(b -> database == null || b.database().equals(database)).ifPresent(backups::add);
            }
        } catch (IOException e) {
            throw new BackupException("cannot list the backup folder " + dir + ": " + e.getMessage(), e);
        }
        backups.sort(Comparator.comparing(BackupInfo::createdAt).thenComparing(BackupInfo::id).reversed());
        return backups;
    }

    /** The backup a manifest describes, when the manifest is valid and its archive exists; a note in the log otherwise. */
    public Optional<BackupInfo> read(Path manifestPath) {
        try {
            return Optional.of(readChecked(manifestPath));
        } catch (BackupException e) {
            LOG.warn("ignoring {}: {}", manifestPath, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The backup a manifest describes. The manifest is untrusted input: its names must be its own
     * backup's plain names in its folder ({@link ManifestPaths}).
     *
     * @throws BackupException saying why the manifest is not used
     */
    public BackupInfo readChecked(Path manifestPath) {
        BackupManifest m;
        try {
            if (Files.isSymbolicLink(manifestPath)) {
                throw new BackupException("the manifest " + manifestPath + " is a symbolic link, which is not followed");
            }
            m = ManifestJson.read(Files.readAllBytes(manifestPath), manifestPath.toString());
        } catch (IOException | RuntimeException e) {
            throw e instanceof BackupException b ? b
                    : new BackupException("the manifest " + manifestPath + " is unreadable (" + e.getMessage() + ")", e);
        }
        try {
            m.started();
            m.backupFormat();
        } catch (RuntimeException e) {
            throw new BackupException("the manifest " + manifestPath + " is unreadable (" + e.getMessage() + ")", e);
        }
        ManifestPaths.checkFileName(m, manifestPath);
        ManifestPaths.check(m, manifestPath.toString());
        Path archive = manifestPath.resolveSibling(m.files().archive());
        if (!Files.exists(archive, LinkOption.NOFOLLOW_LINKS)) {
            throw new BackupException("the manifest " + manifestPath + " names the archive " + archive + ", which does not exist");
        }
        return new BackupInfo(archive, manifestPath, m);
    }

    /**
     * The backup named by a path (archive, folder or manifest) or an id in this folder.
     *
     * @throws BackupException when there is no such backup or its manifest is not valid
     */
    public BackupInfo resolve(String reference) {
        Path given = Path.of(reference);
        Path manifestPath;
        if (Files.exists(given)) {
            Path absolute = given.toAbsolutePath().normalize();
            String name = absolute.getFileName().toString();
            if (name.endsWith(MANIFEST_SUFFIX)) {
                manifestPath = absolute;
            } else {
                String id = stripSuffix(name);
                manifestPath = absolute.resolveSibling(id + MANIFEST_SUFFIX);
            }
        } else if (!reference.contains("/") && Files.exists(manifest(reference))) {
            manifestPath = manifest(reference);
        } else {
            throw new BackupException("no backup " + reference + ": it is neither an existing file or folder nor the id of a backup in "
                    + dir + " (see: fortress backup list)");
        }
        if (!Files.exists(manifestPath)) {
            throw new BackupException(reference + " has no manifest (" + manifestPath.getFileName() + "), so it is not a complete "
                    + "backup of this tool; it may be a leftover of an interrupted run. A plain pg_dump archive can still be "
                    + "restored with pg_restore directly");
        }
        return readChecked(manifestPath);
    }

    private static String stripSuffix(String name) {
        for (BackupFormat f : BackupFormat.values()) {
            if (name.endsWith(f.suffix())) {
                return name.substring(0, name.length() - f.suffix().length());
            }
        }
        if (name.endsWith(GLOBALS_SUFFIX)) {
            return name.substring(0, name.length() - GLOBALS_SUFFIX.length());
        }
        return name;
    }

    /**
     * Creates the empty file, or folder, a tool then writes a backup into, readable by its owner only
     * (0600, 0700): pg_dump and pg_dumpall keep the mode of a file that exists, and pg_dump fills an
     * existing empty folder.
     */
    public static void createOwnerOnly(Path path, boolean folder) throws IOException {
        if (folder) {
            Files.createDirectory(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
    }

    /** Writes the manifest under a temporary name, fsyncs it, renames it into place and fsyncs the folder. */
    public void writeManifest(BackupManifest manifest) {
        Path target = manifest(manifest.id());
        Path tmp = partial(target);
        try {
            Files.write(tmp, ManifestJson.write(manifest));
            BackupFiles.fsync(tmp);
            publish(tmp, target);
        } catch (IOException e) {
            BackupFiles.deleteQuietly(tmp);
            throw new BackupException("cannot write the manifest " + target + ": " + e.getMessage(), e);
        }
    }

    /** Renames a fully written file or folder into place atomically and fsyncs the folder. */
    public void publish(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        BackupFiles.force(dir);
    }

    /**
     * Deletes a backup: the manifest first, so that a deletion cut short leaves an unlisted leftover
     * (swept later), never a listed backup with missing files.
     */
    public void delete(BackupInfo backup) {
        BackupManifest m = backup.manifest();
        Path manifestPath = ownFile(backup.manifestPath(), m.id());
        Path archive = ownFile(backup.path(), m.id());
        Path globals = m.files().globals() == null ? null : ownFile(dir.resolve(m.files().globals()), m.id());
        try {
            Files.deleteIfExists(manifestPath);
            BackupFiles.force(dir);
            BackupFiles.deleteTree(archive);
            if (globals != null) {
                Files.deleteIfExists(globals);
            }
        } catch (IOException e) {
            throw new BackupException("cannot delete backup " + backup.id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A path deletion may touch: a file of backup {@code id} directly in this folder. Manifests are
     * checked when read; this is the last guard before anything is deleted.
     */
    private Path ownFile(Path path, String id) {
        Path p = path.toAbsolutePath().normalize();
        if (!dir.equals(p.getParent()) || !p.getFileName().toString().startsWith(id + ".")) {
            throw new BackupException("refusing to delete " + path + " for backup " + id + ": it is not a file of that backup in the "
                    + "backup folder " + dir + " (BACKUP_DIR); nothing was deleted");
        }
        return p;
    }

    /**
     * Removes what interrupted runs of one database left: partial files and folders, and archives or
     * globals files without a manifest. Call only while holding the database's backup lock.
     */
    public List<Path> sweep(String database) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        Pattern pattern = namePattern(database);
        List<Path> removed = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                var m = pattern.matcher(p.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                String id = filePrefix(database) + "_" + m.group(1);
                String suffix = m.group(2);
                boolean leftover = suffix.endsWith(PARTIAL_SUFFIX)
                        || (!suffix.equals(MANIFEST_SUFFIX) && !Files.exists(manifest(id)));
                if (leftover) {
                    BackupFiles.deleteTree(p);
                    removed.add(p);
                }
            }
        } catch (IOException e) {
            throw new BackupException("cannot sweep leftovers in " + dir + ": " + e.getMessage(), e);
        }
        if (!removed.isEmpty()) {
            LOG.info("removed leftovers of interrupted runs: {}", removed);
        }
        return removed;
    }

    /** Size and SHA-256 of every file of an archive (one file, or every file in a directory archive), and of extras. */
    public List<BackupManifest.FileEntry> describe(Path archive, Path... extras) throws IOException {
        List<Path> files = new ArrayList<>(BackupFiles.regularFiles(archive));
        for (Path extra : extras) {
            if (extra != null) {
                files.add(extra);
            }
        }
        List<BackupManifest.FileEntry> entries = new ArrayList<>();
        for (Path f : files) {
            entries.add(new BackupManifest.FileEntry(dir.relativize(f).toString(), Files.size(f), HexFormat.of().formatHex(BackupFiles.sha256(f))));
        }
        return entries;
    }
}
