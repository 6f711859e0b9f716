package io.fortress.db.backup;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A backup in the backup folder, as its manifest describes it.
 *
 * @param path         the archive: a file (custom format) or folder (directory format)
 * @param manifestPath its {@code .manifest.json}
 * @param manifest     what the manifest records
 */
public record BackupInfo(Path path, Path manifestPath, BackupManifest manifest) {

    public String id() {
        return manifest.id();
    }

    public String database() {
        return manifest.database();
    }

    public BackupFormat format() {
        return manifest.backupFormat();
    }

    /** When the dump started (its snapshot time), from the manifest. */
    public Instant createdAt() {
        return manifest.started();
    }

    /** Bytes of every file of the backup (archive and globals). */
    public long sizeBytes() {
        return manifest.files().sizeBytes();
    }

    public BackupStatus status() {
        return manifest.lifecycle().status();
    }

    public boolean pinned() {
        return manifest.lifecycle().pinned();
    }

    @Override
    public String toString() {
        return id() + " (" + status() + ", " + path + ")";
    }
}
