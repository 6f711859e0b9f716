package io.fortress.db.backup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;

/**
 * What {@code <id>.manifest.json} records about one backup, in sections: what was dumped
 * ({@link Contents}), when and from which server with which tool ({@link Source}), the files
 * ({@link FileSet}), and what happened to the backup since ({@link Lifecycle}: verified, uploaded,
 * pinned). Only the lifecycle changes after the backup was taken. The manifest is written last,
 * after the archive was fsynced and renamed into place, so a backup without a readable manifest
 * never counts. Times are ISO-8601 UTC; paths are relative to the backup folder. On disk the
 * sections are one flat JSON object, the layout of {@link #VERSION} that every release has written
 * (docs/backup.md, the table of sections).
 *
 * @param manifestVersion the layout it was read from, {@link #VERSION}
 * @param id              the backup's id, {@code <database>_<yyyyMMdd_HHmmss>}
 * @param database        the database backed up
 */
public record BackupManifest(int manifestVersion, String id, String database, Contents contents, Source source, FileSet files,
                             Lifecycle lifecycle) {

    /** The manifest layout this code writes and reads. */
    public static final int VERSION = 1;

    /**
     * What the archive holds.
     *
     * @param format         the archive's format, e.g. {@code custom}
     * @param compression    its compression, e.g. {@code gzip}
     * @param includeSchema  whether it holds the schema
     * @param includeData    whether it holds table data
     * @param rowCountsExact whether the tables' row counts were counted in the dump's snapshot
     * @param tocEntries     entries of the archive's table of contents
     * @param tables         the tables whose data it holds
     * @param warnings       what the dump tool warned about
     */
    public record Contents(String format, String compression, boolean includeSchema, boolean includeData, boolean rowCountsExact,
                           int tocEntries, List<TableEntry> tables, List<String> warnings) {
    }

    /**
     * When and from where the backup was taken, and with which tool.
     *
     * @param startedAt        when the dump started (its data is as of about then)
     * @param finishedAt       when it finished
     * @param durationMs       how long it took
     * @param host             the server's host
     * @param port             the server's port
     * @param serverVersion    the server's version text
     * @param serverVersionNum the server's {@code server_version_num}
     * @param pgDumpVersion    the dump tool's version
     * @param pgDumpPath       the dump tool's path
     * @param tool             what wrote the manifest, e.g. {@code fortress-db 0.1.0}
     */
    public record Source(String startedAt, String finishedAt, long durationMs, String host, int port, String serverVersion,
                         int serverVersionNum, String pgDumpVersion, String pgDumpPath, String tool) {
    }

    /**
     * The backup's files in its folder.
     *
     * @param archive   the archive's name ({@code <id>.dump} or {@code <id>.dir})
     * @param globals   the globals file's name, or null
     * @param sizeBytes bytes of every file
     * @param entries   every file with its size and SHA-256
     */
    public record FileSet(String archive, String globals, long sizeBytes, List<FileEntry> entries) {
    }

    /**
     * What happened to the backup after it was taken: the only section that changes.
     *
     * @param status         its state
     * @param pinned         whether retention keeps it regardless of age
     * @param verifiedAt     when it last passed verification, or null
     * @param verifyLevel    the deepest level it passed, or null
     * @param uploadedAt     when it was copied to the remote repository, or null
     * @param uploadedTo     where ({@code s3://bucket/prefix}), or null
     * @param keyFingerprint the key the copy is encrypted with, or null
     */
    public record Lifecycle(BackupStatus status, boolean pinned, String verifiedAt, String verifyLevel, String uploadedAt,
                            String uploadedTo, String keyFingerprint) {

        /** A new backup's lifecycle: completed, not pinned, verified or uploaded. */
        public static Lifecycle completed() {
            return new Lifecycle(BackupStatus.COMPLETED, false, null, null, null, null, null);
        }

        /** With a new status; a null time or level keeps the one on record. */
        public Lifecycle withStatus(BackupStatus newStatus, Instant verified, VerifyLevel level) {
            return new Lifecycle(newStatus, pinned, verified == null ? verifiedAt : verified.toString(),
                    level == null ? verifyLevel : level.spelling(), uploadedAt, uploadedTo, keyFingerprint);
        }

        public Lifecycle withPinned(boolean pin) {
            return new Lifecycle(status, pin, verifiedAt, verifyLevel, uploadedAt, uploadedTo, keyFingerprint);
        }

        /** Copied to {@code to} at {@code at}, encrypted with this key (null: not encrypted). */
        public Lifecycle withUploaded(Instant at, String fingerprint, String to) {
            return new Lifecycle(status, pinned, verifiedAt, verifyLevel, at.toString(), to, fingerprint);
        }

        /** Whether the backup was copied to the remote repository. */
        public boolean uploaded() {
            return uploadedAt != null;
        }
    }

    /** One file of the backup: its path relative to the backup folder, size and SHA-256 (hex). */
    @JsonPropertyOrder({"path", "size_bytes", "sha256"})
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record FileEntry(String path, long sizeBytes, String sha256) {
    }

    /** A table whose data the archive holds, with its exact row count in the dump's snapshot (null when not counted). */
    @JsonPropertyOrder({"schema", "name", "rows"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TableEntry(String schema, String name, Long rows) {
    }

    /** When the dump started: its data is as of about this time. Retention orders backups by it. */
    public Instant started() {
        return Instant.parse(source.startedAt());
    }

    public BackupFormat backupFormat() {
        return BackupFormat.parse(contents.format());
    }

    /** This manifest with another lifecycle; the rest never changes. */
    public BackupManifest with(Lifecycle newLifecycle) {
        return new BackupManifest(manifestVersion, id, database, contents, source, files, newLifecycle);
    }

    /** Whether this backup was copied to the remote repository. */
    public boolean uploaded() {
        return lifecycle.uploaded();
    }

    /** Whether this backup was copied to this repository ({@code s3://bucket/prefix}); a copy elsewhere does not count. */
    public boolean uploadedTo(String location) {
        return lifecycle.uploaded() && location.equals(lifecycle.uploadedTo());
    }
}
