package io.fortress.db.internal.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.BackupManifest.Contents;
import io.fortress.db.backup.BackupManifest.FileEntry;
import io.fortress.db.backup.BackupManifest.FileSet;
import io.fortress.db.backup.BackupManifest.Lifecycle;
import io.fortress.db.backup.BackupManifest.Source;
import io.fortress.db.backup.BackupManifest.TableEntry;
import io.fortress.db.backup.BackupStatus;
import java.io.IOException;
import java.util.List;

/**
 * A manifest on disk and in the remote repository: one flat JSON object, layout version 1, which
 * every release so far has written (v0.1.0 on), so that older and newer releases read each other's
 * manifests. The sections of {@link BackupManifest} are a reading of it. Unknown fields are ignored;
 * missing required ones make the manifest incomplete ({@link BackupStore} and
 * {@link ManifestPaths} check the rest: it is untrusted input).
 */
public final class ManifestJson {
    private ManifestJson() {
    }

    public static byte[] write(BackupManifest m) throws IOException {
        return BackupStore.JSON.writeValueAsBytes(V1.of(m));
    }

    /**
     * Reads a manifest.
     *
     * @throws IOException when it is not JSON of the expected shape
     * @throws BackupException when it is not a complete manifest of a layout this version reads
     */
    public static BackupManifest read(byte[] json, String where) throws IOException {
        V1 v = BackupStore.JSON.readValue(json, V1.class);
        if (v == null || v.manifestVersion() != BackupManifest.VERSION || v.id() == null || v.database() == null
                || v.archive() == null || v.status() == null || v.files() == null || v.startedAt() == null || v.finishedAt() == null) {
            throw new BackupException("the manifest " + where + " is not a complete manifest of version " + BackupManifest.VERSION);
        }
        return v.toManifest();
    }

    /** The layout of version 1, field by field; its order is the order on disk. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonPropertyOrder({"manifest_version", "id", "database", "status", "pinned", "format", "compression", "archive", "globals",
            "size_bytes", "files", "started_at", "finished_at", "duration_ms", "server_version", "server_version_num",
            "pg_dump_version", "pg_dump_path", "tool", "host", "port", "include_schema", "include_data", "row_counts_exact",
            "toc_entries", "tables", "verified_at", "verify_level", "uploaded_at", "uploaded_to", "key_fingerprint", "warnings"})
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record V1(int manifestVersion, String id, String database, BackupStatus status, boolean pinned, String format, String compression,
              String archive, String globals, long sizeBytes, List<FileEntry> files, String startedAt, String finishedAt, long durationMs,
              String serverVersion, int serverVersionNum, String pgDumpVersion, String pgDumpPath, String tool, String host, int port,
              boolean includeSchema, boolean includeData, boolean rowCountsExact, int tocEntries, List<TableEntry> tables,
              String verifiedAt, String verifyLevel, String uploadedAt, String uploadedTo, String keyFingerprint, List<String> warnings) {

        static V1 of(BackupManifest m) {
            Contents c = m.contents();
            Source s = m.source();
            FileSet f = m.files();
            Lifecycle l = m.lifecycle();
            return new V1(BackupManifest.VERSION, m.id(), m.database(), l.status(), l.pinned(), c.format(), c.compression(),
                    f.archive(), f.globals(), f.sizeBytes(), f.entries(), s.startedAt(), s.finishedAt(),
                    s.durationMs(), s.serverVersion(), s.serverVersionNum(), s.pgDumpVersion(), s.pgDumpPath(), s.tool(), s.host(),
                    s.port(), c.includeSchema(), c.includeData(), c.rowCountsExact(), c.tocEntries(),
                    c.tables(), l.verifiedAt(), l.verifyLevel(),
                    l.uploadedAt(), l.uploadedTo(), l.keyFingerprint(), c.warnings());
        }

        BackupManifest toManifest() {
            return new BackupManifest(manifestVersion, id, database,
                    new Contents(format, compression, includeSchema, includeData, rowCountsExact, tocEntries,
                            tables, warnings),
                    new Source(startedAt, finishedAt, durationMs, host, port, serverVersion, serverVersionNum, pgDumpVersion, pgDumpPath,
                            tool),
                    new FileSet(archive, globals, sizeBytes, files),
                    new Lifecycle(status, pinned, verifiedAt, verifyLevel, uploadedAt, uploadedTo, keyFingerprint));
        }
    }
}
