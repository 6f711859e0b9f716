package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads {@code pgbackrest info --output=json}. The text comes from a repository fortress does not
 * control, so every field is checked: a label or WAL name of an unexpected shape is an error, never
 * passed on.
 */
final class InfoParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LABEL = Pattern.compile("\\d{8}-\\d{6}F(_\\d{8}-\\d{6}[DI])?");
    private static final Pattern LSN = Pattern.compile("[0-9A-F]{1,8}/[0-9A-F]{1,8}");

    private InfoParser() {
    }

    static BackupInventory parse(String stanza, String json) {
        JsonNode root;
        try {
            // pgBackRest 2.45 copies raw bytes into a repository's status message (e.g. what a wrong key decrypted to) without
            // escaping them: control characters cannot stand outside JSON strings, so they are neutralised, never trusted
            root = JSON.readTree(json.replaceAll("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]", "?"));
        } catch (JsonProcessingException e) {
            throw bad("it is not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isArray()) {
            throw bad("expected a list of stanzas");
        }
        for (JsonNode entry : root) {
            if (stanza.equals(entry.path("name").asText())) {
                return stanza(stanza, entry);
            }
        }
        throw bad("stanza " + stanza + " is not in it");
    }

    private static BackupInventory stanza(String stanza, JsonNode entry) {
        JsonNode status = entry.path("status");
        List<BaseBackup> backups = new ArrayList<>();
        for (JsonNode b : entry.path("backup")) {
            backups.add(backup(b));
        }
        String oldest = null;
        String newest = null;
        for (JsonNode a : entry.path("archive")) {
            String min = wal(a.path("min"));
            String max = wal(a.path("max"));
            if (min != null && (oldest == null || !WalSegment.reached(min, oldest))) {
                oldest = min;
            }
            if (max != null && (newest == null || WalSegment.reached(max, newest))) {
                newest = max;
            }
        }
        StringBuilder message = new StringBuilder(text(status.path("message"), "status message"));
        for (JsonNode repo : entry.path("repo")) {
            if (repo.path("status").path("code").asInt(0) != 0) {
                message.append("; repo").append(repo.path("key").asInt()).append(": ").append(text(repo.path("status").path("message"), "message"));
            }
        }
        return new BackupInventory(stanza, status.path("code").asInt(-1), message.toString(),
                backups, Optional.ofNullable(oldest), Optional.ofNullable(newest));
    }

    private static BaseBackup backup(JsonNode b) {
        String label = match(b.path("label"), LABEL, "backup label");
        String type = b.path("type").asText();
        if (!List.of("full", "diff", "incr").contains(type)) {
            throw bad("backup " + label + " has the unknown type '" + type + "'");
        }
        JsonNode prior = b.path("prior");
        return new BaseBackup(label, type, b.path("database").path("repo-key").asInt(1),
                time(b.path("timestamp").path("start"), label), time(b.path("timestamp").path("stop"), label),
                match(b.path("lsn").path("start"), LSN, "start LSN of " + label), match(b.path("lsn").path("stop"), LSN, "stop LSN of " + label),
                wal(b.path("archive").path("start")), wal(b.path("archive").path("stop")),
                size(b.path("info").path("size"), label), size(b.path("info").path("repository").path("delta"), label),
                prior.isNull() || prior.isMissingNode() ? Optional.empty() : Optional.of(match(prior, LABEL, "prior backup of " + label)),
                b.path("error").asBoolean(false));
    }

    private static Instant time(JsonNode node, String label) {
        if (!node.canConvertToLong() || node.asLong() <= 0) {
            throw bad("backup " + label + " has no valid timestamp");
        }
        return Instant.ofEpochSecond(node.asLong());
    }

    private static long size(JsonNode node, String label) {
        if (!node.canConvertToLong() || node.asLong() < 0) {
            throw bad("backup " + label + " has no valid size");
        }
        return node.asLong();
    }

    private static String wal(JsonNode node) {
        if (node.isNull() || node.isMissingNode()) {
            return null;
        }
        String name = node.asText();
        if (!WalSegment.isSegment(name)) {
            throw bad("'" + abbreviate(name) + "' is not a WAL segment name");
        }
        return name;
    }

    private static String match(JsonNode node, Pattern pattern, String what) {
        String value = node.asText();
        if (!pattern.matcher(value).matches()) {
            throw bad("the " + what + " is '" + abbreviate(value) + "', not of the expected form");
        }
        return value;
    }

    private static String text(JsonNode node, String what) {
        String value = node.asText("");
        return value.length() > 200 || value.chars().anyMatch(c -> c < 0x20) ? "(" + what + " not shown: unexpected characters)" : value;
    }

    private static String abbreviate(String value) {
        String clean = value.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 60 ? clean.substring(0, 60) + "..." : clean;
    }

    private static BackupException bad(String why) {
        return new BackupException("cannot read pgbackrest info's output: " + why);
    }
}
