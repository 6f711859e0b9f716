package io.fortress.db.backup;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of verifying one backup: each level checked, in order, with what it found.
 *
 * @param backup    the backup's id
 * @param path      its archive
 * @param requested the deepest level asked for
 * @param checks    one result per level up to the requested one
 */
@JsonPropertyOrder({"backup", "path", "requested_level", "passed", "checks"})
public record VerificationReport(@JsonProperty("backup") String backup, @JsonProperty("path") String path,
                                 @JsonProperty("requested_level") VerifyLevel requested,
                                 @JsonProperty("checks") List<Check> checks) {

    /** What one level found. */
    @JsonPropertyOrder({"level", "outcome", "detail"})
    public record Check(@JsonProperty("level") VerifyLevel level, @JsonProperty("outcome") Outcome outcome,
                        @JsonProperty("detail") String detail) {
    }

    /** A level passed, failed, or was not run because an earlier one failed. */
    public enum Outcome {
        PASSED, FAILED, SKIPPED;

        @com.fasterxml.jackson.annotation.JsonValue
        public String spelling() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The report of a remote copy that could not be downloaded whole and intact: it fails at the first level. */
    public static VerificationReport failedDownload(String id, String where, VerifyLevel requested, String why) {
        return new VerificationReport(id, where, requested, List.of(new Check(VerifyLevel.CHECKSUMS, Outcome.FAILED,
                "the copy in " + where + " cannot be downloaded intact: " + why)));
    }

    /** True when every level up to the requested one passed. */
    @JsonProperty("passed")
    public boolean passed() {
        return checks.stream().allMatch(c -> c.outcome() == Outcome.PASSED);
    }

    /** One line per level, e.g. {@code checksums: FAILED - fortress_x.dump: SHA-256 differs ...}. */
    public String summary() {
        StringBuilder sb = new StringBuilder("backup " + backup + ": " + (passed() ? "verified" : "FAILED verification")
                + " (level " + requested.spelling() + ")");
        for (Check c : checks) {
            sb.append("\n  ").append(c.level().spelling()).append(": ").append(c.outcome().name())
                    .append(c.detail() == null || c.detail().isEmpty() ? "" : " - " + c.detail());
        }
        return sb.toString();
    }

    public String toJson() {
        try {
            return BackupJson.MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("report cannot be written as JSON", e);
        }
    }
}
