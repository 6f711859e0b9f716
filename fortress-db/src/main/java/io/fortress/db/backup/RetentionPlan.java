package io.fortress.db.backup;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Instant;
import java.util.List;

/**
 * What cleanup keeps and deletes, and why, for one database's backups. A dry run returns the plan
 * without deleting; a real run returns the plan it carried out.
 *
 * @param database  the database whose backups were considered
 * @param at        the time the plan was made for
 * @param decisions one per backup, newest first
 * @param dryRun    true when nothing was deleted
 */
@JsonPropertyOrder({"database", "at", "dry_run", "decisions", "unreadable"})
public record RetentionPlan(@JsonProperty("database") String database, @com.fasterxml.jackson.annotation.JsonIgnore Instant at,
                            @JsonProperty("decisions") List<Decision> decisions, @JsonProperty("dry_run") boolean dryRun,
                            @JsonProperty("unreadable") List<RemoteCopies.Unreadable> unreadable) {

    /** A plan of backups that all could be read (local retention reads only valid manifests). */
    public RetentionPlan(String database, Instant at, List<Decision> decisions, boolean dryRun) {
        this(database, at, decisions, dryRun, List.of());
    }

    /**
     * This plan also counting remote copies whose manifest cannot be read: kept (retention never
     * deletes what it cannot read), and shown, so that hidden copies do not go unnoticed.
     */
    public RetentionPlan withUnreadable(List<RemoteCopies.Unreadable> copies) {
        return new RetentionPlan(database, at, decisions, dryRun, List.copyOf(copies));
    }

    /** Keep or delete one backup, with every reason that applied. */
    @JsonPropertyOrder({"id", "created_at", "status", "delete", "reasons"})
    public record Decision(@com.fasterxml.jackson.annotation.JsonIgnore BackupInfo backup, @JsonProperty("delete") boolean delete,
                           @JsonProperty("reasons") List<String> reasons) {
        @JsonProperty("id")
        public String id() {
            return backup.id();
        }

        @JsonProperty("created_at")
        public String createdAt() {
            return backup.createdAt().toString();
        }

        @JsonProperty("status")
        public String status() {
            return backup.status().spelling();
        }
    }

    /** The time the plan was made for, ISO-8601 UTC, as the JSON shows it. */
    @JsonProperty("at")
    public String atText() {
        return at.toString();
    }

    /** The backups deleted (or, for a dry run, that would be). */
    public List<BackupInfo> deleted() {
        return decisions.stream().filter(Decision::delete).map(Decision::backup).toList();
    }

    public List<BackupInfo> kept() {
        return decisions.stream().filter(d -> !d.delete()).map(Decision::backup).toList();
    }

    /** One line per backup: {@code delete fortress_20240101_000000 (completed, 2024-01-01T00:00:00Z): older than 7 days}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (Decision d : decisions) {
            sb.append(d.delete() ? (dryRun ? "would delete " : "deleted ") : "keep ").append(d.id()).append(" (").append(d.status())
                    .append(", ").append(d.createdAt()).append("): ").append(String.join("; ", d.reasons())).append('\n');
        }
        for (RemoteCopies.Unreadable u : unreadable) {
            sb.append("keep ").append(u.id()).append(" (unreadable): its manifest cannot be read or authenticated, so retention "
                    + "neither counts it as good nor deletes it; check the repository (").append(u.reason()).append(")\n");
        }
        if (decisions.isEmpty() && unreadable.isEmpty()) {
            sb.append("no backups of ").append(database).append('\n');
        }
        return sb.toString();
    }

    public String toJson() {
        try {
            return BackupJson.MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("plan cannot be written as JSON", e);
        }
    }
}
