package io.fortress.db.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;

/**
 * What {@code <id>.manifest.json} records about one backup. It is written last, after the archive
 * was fsynced and renamed into place, so a backup without a readable manifest never counts. Times
 * are ISO-8601 UTC; paths are relative to the backup folder.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"manifest_version", "id", "database", "status", "pinned", "format", "compression", "archive", "globals",
        "size_bytes", "files", "started_at", "finished_at", "duration_ms", "server_version", "server_version_num",
        "pg_dump_version", "pg_dump_path", "tool", "host", "port", "include_schema", "include_data", "row_counts_exact",
        "toc_entries", "tables", "verified_at", "verify_level", "warnings"})
public record BackupManifest(
        @JsonProperty("manifest_version") int manifestVersion,
        @JsonProperty("id") String id,
        @JsonProperty("database") String database,
        @JsonProperty("status") BackupStatus status,
        @JsonProperty("pinned") boolean pinned,
        @JsonProperty("format") String format,
        @JsonProperty("compression") String compression,
        @JsonProperty("archive") String archive,
        @JsonProperty("globals") String globals,
        @JsonProperty("size_bytes") long sizeBytes,
        @JsonProperty("files") List<FileEntry> files,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("finished_at") String finishedAt,
        @JsonProperty("duration_ms") long durationMs,
        @JsonProperty("server_version") String serverVersion,
        @JsonProperty("server_version_num") int serverVersionNum,
        @JsonProperty("pg_dump_version") String pgDumpVersion,
        @JsonProperty("pg_dump_path") String pgDumpPath,
        @JsonProperty("tool") String tool,
        @JsonProperty("host") String host,
        @JsonProperty("port") int port,
        @JsonProperty("include_schema") boolean includeSchema,
        @JsonProperty("include_data") boolean includeData,
        @JsonProperty("row_counts_exact") boolean rowCountsExact,
        @JsonProperty("toc_entries") int tocEntries,
        @JsonProperty("tables") List<TableEntry> tables,
        @JsonProperty("verified_at") String verifiedAt,
        @JsonProperty("verify_level") String verifyLevel,
        @JsonProperty("warnings") List<String> warnings) {

    /** The manifest layout this code writes and reads. */
    public static final int VERSION = 1;

    /** One file of the backup: its path relative to the backup folder, size and SHA-256 (hex). */
    @JsonPropertyOrder({"path", "size_bytes", "sha256"})
    public record FileEntry(@JsonProperty("path") String path, @JsonProperty("size_bytes") long sizeBytes,
                            @JsonProperty("sha256") String sha256) {
    }

    /** A table whose data the archive holds, with its exact row count in the dump's snapshot (null when not counted). */
    @JsonPropertyOrder({"schema", "name", "rows"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TableEntry(@JsonProperty("schema") String schema, @JsonProperty("name") String name,
                             @JsonProperty("rows") Long rows) {
    }

    /** When the dump started: its data is as of about this time. Retention orders backups by it. */
    public Instant started() {
        return Instant.parse(startedAt);
    }

    public BackupFormat backupFormat() {
        return BackupFormat.parse(format);
    }

    /** This manifest with a new status; a null time or level keeps the one on record. */
    BackupManifest withStatus(BackupStatus newStatus, Instant verified, VerifyLevel level) {
        return with(newStatus, pinned, verified == null ? verifiedAt : verified.toString(), level == null ? verifyLevel : level.spelling());
    }

    BackupManifest withPinned(boolean pin) {
        return with(status, pin, verifiedAt, verifyLevel);
    }

    /** A copy differing in what changes after the backup was taken: status, pin and verification. */
    private BackupManifest with(BackupStatus newStatus, boolean pin, String newVerifiedAt, String newVerifyLevel) {
        return new BackupManifest(manifestVersion, id, database, newStatus, pin, format, compression, archive, globals, sizeBytes,
                files, startedAt, finishedAt, durationMs, serverVersion, serverVersionNum, pgDumpVersion, pgDumpPath, tool, host, port,
                includeSchema, includeData, rowCountsExact, tocEntries, tables, newVerifiedAt, newVerifyLevel, warnings);
    }
}
