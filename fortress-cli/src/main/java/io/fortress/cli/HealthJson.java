package io.fortress.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.db.api.HealthStatus;
import io.fortress.db.api.NodeHealth;
import java.util.Locale;

/** The health status as the JSON of /health/database and {@code fortress health --json}. */
final class HealthJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private HealthJson() {
    }

    /** The backups' state: the last success and, with BACKUP_REMOTE, the repository and how many backups wait to be copied. */
    static ObjectNode backup(io.fortress.db.backup.BackupManager backups) {
        ObjectNode o = JSON.createObjectNode();
        io.fortress.db.backup.BackupStats stats = backups.stats();
        o.put("last_success_at", stats.lastSuccessAt().map(Object::toString).orElse(null));
        o.put("last_failure", stats.lastFailure().orElse(null));
        backups.config().remote().ifPresent(r -> {
            o.put("remote", r.toString());
            try {
                o.put("remote_pending", backups.pendingUploads().size());
            } catch (RuntimeException e) {
                // an unreadable backup folder must not turn the database's health into a 500
                o.put("remote_pending_error", e.getMessage());
            }
        });
        return o;
    }

    static ObjectNode of(HealthStatus status) {
        ObjectNode root = JSON.createObjectNode();
        root.put("status", status.primaryHealthy() ? "UP" : "DOWN");
        root.put("primary_healthy", status.primaryHealthy());
        root.put("snapshot_age_seconds", Math.max(0, status.age().toMillis()) / 1000.0);
        ArrayNode nodes = root.putArray("nodes");
        for (NodeHealth n : status.nodes()) {
            nodes.add(node(n));
        }
        if (!status.patroni().isEmpty()) {
            ArrayNode members = root.putArray("patroni");
            for (HealthStatus.PatroniMember m : status.patroni()) {
                ObjectNode o = members.addObject();
                o.put("member", m.name());
                o.put("role", m.role());
                o.put("state", m.state());
                o.put("address", m.address().toString());
                if (m.timeline() == null) {
                    o.putNull("timeline");
                } else {
                    o.put("timeline", m.timeline());
                }
                if (m.lagBytes() == null) {
                    o.putNull("lag_bytes");
                } else {
                    o.put("lag_bytes", m.lagBytes());
                }
            }
        }
        return root;
    }

    static ObjectNode node(NodeHealth n) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", n.name());
        o.put("role", n.role().name().toLowerCase(Locale.ROOT));
        o.put("address", n.address().toString());
        o.put("state", n.state().name());
        o.put("reason", n.reason());
        o.put("since", n.since().toString());
        if (n.lagSeconds() == null) {
            o.putNull("lag_seconds");
        } else {
            o.put("lag_seconds", Math.round(n.lagSeconds() * 1000) / 1000.0);
        }
        if (n.lagBytes() == null) {
            o.putNull("lag_bytes");
        } else {
            o.put("lag_bytes", n.lagBytes());
        }
        o.put("checked_at", n.checkedAt().toString());
        return o;
    }
}
