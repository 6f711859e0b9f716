package io.fortress.db.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;

/**
 * What {@code <id>.manifest.json} records about one backup. It is written last, after the archive
 * was fsynced and renamed into place, so a backup without a readable manifest never counts. Times
 * are ISO-8601 UTC; paths are relative to the backup folder. {@code uploaded_at} and
 * {@code key_fingerprint} are set once the backup was copied to BACKUP_REMOTE (the copy's own
 * manifest holds the same).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"manifest_version", "id", "database", "status", "pinned", "format", "compression", "archive", "globals",
        "size_bytes", "files", "started_at", "finished_at", "duration_ms", "server_version", "server_version_num",
        "pg_dump_version", "pg_dump_path", "tool", "host", "port", "include_schema", "include_data", "row_counts_exact",
        "toc_entries", "tables", "verified_at", "verify_level", "uploaded_at", "uploaded_to", "key_fingerprint", "warnings"})
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record BackupManifest(
        int manifestVersion,
        String id,
        String database,
        BackupStatus status,
        boolean pinned,
        String format,
        String compression,
        String archive,
        String globals,
        long sizeBytes,
        List<FileEntry> files,
        String startedAt,
        String finishedAt,
        long durationMs,
        String serverVersion,
        int serverVersionNum,
        String pgDumpVersion,
        String pgDumpPath,
        String tool,
        String host,
        int port,
        boolean includeSchema,
        boolean includeData,
        boolean rowCountsExact,
        int tocEntries,
        List<TableEntry> tables,
        String verifiedAt,
        String verifyLevel,
        String uploadedAt,
        String uploadedTo,
        String keyFingerprint,
        List<String> warnings) {

    /** The manifest layout this code writes and reads. */
    public static final int VERSION = 1;

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
        return Instant.parse(startedAt);
    }

    public BackupFormat backupFormat() {
        return BackupFormat.parse(format);
    }

    /** This manifest with a new status; a null time or level keeps the one on record. */
    public BackupManifest withStatus(BackupStatus newStatus, Instant verified, VerifyLevel level) {
        return with(newStatus, pinned, verified == null ? verifiedAt : verified.toString(), level == null ? verifyLevel : level.spelling());
    }

    public BackupManifest withPinned(boolean pin) {
        return with(status, pin, verifiedAt, verifyLevel);
    }

    /** This manifest recording that its backup was copied to {@code to}, encrypted with this key (null: not encrypted). */
    public BackupManifest withUploaded(Instant at, String fingerprint, String to) {
        return new BackupManifest(manifestVersion, id, database, status, pinned, format, compression, archive, globals, sizeBytes,
                files, startedAt, finishedAt, durationMs, serverVersion, serverVersionNum, pgDumpVersion, pgDumpPath, tool, host, port,
                includeSchema, includeData, rowCountsExact, tocEntries, tables, verifiedAt, verifyLevel, at.toString(), to, fingerprint,
                warnings);
    }

    /** Whether this backup was copied to the remote repository. */
    public boolean uploaded() {
        return uploadedAt != null;
    }

    /** Whether this backup was copied to this repository ({@code s3://bucket/prefix}); a copy elsewhere does not count. */
    public boolean uploadedTo(String location) {
        return uploadedAt != null && location.equals(uploadedTo);
    }

    /** A copy differing in what changes after the backup was taken: status, pin and verification. */
    private BackupManifest with(BackupStatus newStatus, boolean pin, String newVerifiedAt, String newVerifyLevel) {
        return new BackupManifest(manifestVersion, id, database, newStatus, pin, format, compression, archive, globals, sizeBytes,
                files, startedAt, finishedAt, durationMs, serverVersion, serverVersionNum, pgDumpVersion, pgDumpPath, tool, host, port,
                includeSchema, includeData, rowCountsExact, tocEntries, tables, newVerifiedAt, newVerifyLevel, uploadedAt, uploadedTo,
                keyFingerprint, warnings);
    }
}
