package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupFormat;
import io.fortress.db.backup.BackupManifest;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Checks the names a manifest gives, because a backup repository (BACKUP_DIR or a bucket) is
 * untrusted input: whoever can write a manifest must not be able to make fortress read, run or
 * delete anything but that backup's own files. The id is a plain name; the archive is
 * {@code <id>.dump} or {@code <id>.dir} (per the manifest's format); globals are
 * {@code <id>.globals.sql}; every listed file is the archive, the globals file, or a plain relative
 * path inside a directory archive, with a SHA-256; the archive and the globals file are listed.
 */
public final class ManifestPaths {
    /** What {@link BackupStore#filePrefix} and the id stamp produce: letters, digits, '_' and '-'. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,199}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}");

    private ManifestPaths() {
    }

    /**
     * Refuses a manifest whose names are not its own backup's plain names.
     *
     * @param where names the manifest in the message (a path or an object key)
     * @throws BackupException saying which name is refused and what is accepted
     */
    public static void check(BackupManifest m, String where) {
        String id = m.id();
        if (id == null || !ID.matcher(id).matches()) {
            throw refused(where, "its id " + quote(id) + " is not a plain name (letters, digits, '_' and '-')");
        }
        String archive = id + m.backupFormat().suffix();
        if (!archive.equals(m.files().archive())) {
            throw refused(where, "its archive " + quote(m.files().archive()) + " is not " + archive + ", the plain name of backup " + id
                    + " in its folder");
        }
        String globals = id + BackupStore.GLOBALS_SUFFIX;
        if (m.files().globals() != null && !globals.equals(m.files().globals())) {
            throw refused(where, "its globals file " + quote(m.files().globals()) + " is not " + globals + ", the plain name of backup " + id
                    + " in its folder");
        }
        if (m.files().entries() == null) {
            throw refused(where, "it lists no files, so nothing checks the archive");
        }
        if (m.contents().includeData() && m.contents().tables() == null) {
            throw refused(where, "it holds data but lists no tables, so nothing checks the tables' data");
        }
        boolean archiveListed = false;
        boolean globalsListed = false;
        for (BackupManifest.FileEntry f : m.files().entries()) {
            String p = f.path();
            if (p == null || !(p.equals(archive) || p.equals(m.files().globals()) || m.backupFormat() == BackupFormat.DIRECTORY
                    && p.startsWith(archive + "/") && plainRelative(p.substring(archive.length() + 1)))) {
                throw refused(where, "it lists the file " + quote(p) + ", which is not " + archive
                        + (m.backupFormat() == BackupFormat.DIRECTORY ? " or a plain name inside it" : "")
                        + (m.files().globals() == null ? "" : " or " + globals));
            }
            if (f.sha256() == null || !SHA256.matcher(f.sha256()).matches() || f.sizeBytes() < 0) {
                throw refused(where, "the file " + p + " has no SHA-256 or size");
            }
            archiveListed |= p.equals(archive) || p.startsWith(archive + "/");
            globalsListed |= p.equals(m.files().globals());
        }
        if (!archiveListed) {
            throw refused(where, "its archive " + archive + " is not among its files, so nothing checks it");
        }
        if (m.files().globals() != null && !globalsListed) {
            throw refused(where, "its globals file " + globals + " is not among its files with a SHA-256, so nothing checks "
                    + "what restore --globals would run");
        }
    }

    /**
     * Refuses an id given by a user (e.g. {@code restore --remote ID}) that is not a plain name: it
     * becomes part of object keys and of a folder name.
     */
    public static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new BackupException("'" + (id == null ? "" : id.replaceAll("\\p{Cntrl}", "?")) + "' is not a backup id: an id is "
                    + "letters, digits, '_' and '-', e.g. fortress_20240115_120000 (see: fortress backup list --remote)");
        }
    }

    /** Whether {@code manifestFile} is the file name a manifest of backup {@code id} has. */
    public static void checkFileName(BackupManifest m, Path manifestFile) {
        String expected = m.id() + BackupStore.MANIFEST_SUFFIX;
        if (!manifestFile.getFileName().toString().equals(expected)) {
            throw refused(manifestFile.toString(), "it describes backup " + quote(m.id()) + ", whose manifest is named " + expected);
        }
    }

    /** A relative path of plain segments: no empty, '.', '..' or hidden segment, no backslash. */
    private static boolean plainRelative(String path) {
        for (String segment : path.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches()) {
                return false;
            }
        }
        return true;
    }

    private static String quote(String s) {
        if (s == null) {
            return "(none)";
        }
        String shown = s.length() > 120 ? s.substring(0, 120) + "..." : s;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }

    private static BackupException refused(String where, String why) {
        return new BackupException("the manifest " + where + " is refused: " + why + "; a manifest may only name its own backup's "
                + "files inside its folder, so this one is not used (it may have been altered)");
    }
}
