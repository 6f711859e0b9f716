package io.fortress.cli;

import io.fortress.db.api.Durations;
import java.time.Duration;
import java.util.List;

/**
 * The alert rules over the meters of {@code fortress serve}, stated once: deploy/prometheus/fortress-rules.yml is
 * {@link #yaml()} (AlertRulesFileTest fails when the committed file differs), docs/metrics.md's table of alerts is
 * {@link #markdownRows()} (CliDocsTest), and the status page ({@link StatusPage}) names the same alerts and applies the
 * same limits to what it knows. Java holds them rather than the file because the
 * page cannot evaluate PromQL; what both need (names, thresholds, windows) is here, and the PromQL is built from it.
 */
final class AlertRules {
    private AlertRules() {
    }

    /** How to regenerate the rules file, for the test's message. */
    static final String REGENERATE = "mvn -q -pl fortress-cli -am test -Dtest=AlertRulesFileTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dfortress.cli.regenerate=true";

    /**
     * One Prometheus alerting rule. {@code firesWhen} says it in words for docs/metrics.md ({@code {for}} stands for
     * {@code forDuration}); {@code expr} lines after the first keep their indentation relative to the first.
     */
    record Rule(String name, String firesWhen, String expr, Duration forDuration, String severity, String summary, String description, String comment) {
        /** The line the status page shows when the rule's condition holds: the alert's name and what the page saw. */
        String holds(String detail) {
            return name + ": " + detail;
        }
    }

    /** A replica that went in and out of streaming more than this many times in {@link #FLAP_WINDOW} flaps. */
    static final int FLAP_LIMIT = 4;
    static final Duration FLAP_WINDOW = Duration.ofMinutes(15);
    /** How long threads must have waited for a connection before it is a problem. */
    static final Duration POOL_WAIT = Duration.ofMinutes(1);
    /** Daily backups with a margin: older than this, the last good backup is too old. */
    static final Duration BACKUP_MAX_AGE = Duration.ofHours(26);

    private static final String CRITICAL = "critical";
    private static final String WARNING = "warning";
    private static final String BACKUP_AGE_EXCEEDED = " > " + BACKUP_MAX_AGE.toHours() + " * 3600";

    static final Rule PRIMARY_DOWN = new Rule("FortressPrimaryDown",
            "no `DB_HOST` candidate has been `up` for {for}",
            "sum by (job, instance) (fortress_db_node_state{role=\"primary\", state=\"up\"}) == 0", Duration.ofSeconds(30), CRITICAL,
            "No DB_HOST candidate accepts writes ({{ $labels.instance }})",
            "Writes fail with DatabaseUnavailableException until a primary is back or promoted; see docs/operations.md.", null);

    static final Rule NO_REPLICA_STREAMING = new Rule("FortressNoReplicaStreaming",
            "replicas are configured and none has streamed for {for}",
            """
            sum by (job, instance) (fortress_db_node_state{role="replica", state="streaming"}) == 0
            and on (job, instance) count by (job, instance) (fortress_db_node_state{role="replica"}) > 0""",
            Duration.ofMinutes(2), WARNING, "No replica is streaming ({{ $labels.instance }})",
            "Every read goes to the primary (DB_REPLICA_FALLBACK); check the replicas' state in /health/database.", null);

    static final Rule REPLICA_LAGGING = new Rule("FortressReplicaLagging",
            "a replica's lag has been over `DB_MAX_REPLICA_LAG` (`fortress_db_max_replica_lag_seconds`) for {for}",
            """
            fortress_db_replication_lag_seconds{role="replica"}
            > on (job, instance) group_left fortress_db_max_replica_lag_seconds""",
            Duration.ofMinutes(1), WARNING, "Replica {{ $labels.node }} lags more than DB_MAX_REPLICA_LAG",
            "Default reads skip {{ $labels.node }} until it catches up; see its lag_seconds in /health/database.", null);

    static final Rule REPLICA_FLAPPING = new Rule("FortressReplicaFlapping",
            "a replica went in and out of `streaming` more than " + FLAP_LIMIT + " times in " + Durations.format(FLAP_WINDOW),
            "changes(fortress_db_node_state{role=\"replica\", state=\"streaming\"}[" + prometheus(FLAP_WINDOW) + "]) > " + FLAP_LIMIT,
            null, WARNING, "Replica {{ $labels.node }} went in and out of streaming more than " + FLAP_LIMIT + " times in "
                    + FLAP_WINDOW.toMinutes() + " minutes",
            "An unstable network or an overloaded standby; its reads keep moving to other nodes.", null);

    static final Rule POOL_WAITERS = new Rule("FortressPoolWaiters",
            "threads have waited for a connection of a pool for {for}",
            "hikaricp_connections_pending > 0", POOL_WAIT, WARNING,
            "Threads have waited for a connection of pool {{ $labels.pool }} for a minute",
            "The pool is too small for the load (DB_MAX_OPEN_CONNS) or statements hold connections too long.", null);

    static final Rule BACKUP_TOO_OLD = new Rule("FortressBackupTooOld",
            "the last successful backup is more than " + Durations.format(BACKUP_MAX_AGE) + " old (for {for}); never before the first "
                    + "backup, whose timestamp is `NaN`",
            "time() - fortress_backup_last_success_timestamp_seconds" + BACKUP_AGE_EXCEEDED, Duration.ofMinutes(10), CRITICAL,
            "No successful backup of {{ $labels.database }} for over " + BACKUP_MAX_AGE.toHours() + " hours",
            "See fortress_backup_runs_total{result=\"failure\"} and the serve log; docs/backup.md lists the failure modes.", null);

    static final Rule NO_BACKUP_YET = new Rule("FortressNoBackupYet",
            "there is no good backup yet and a backup run failed since serve started (serve takes the first at start), or "
                    + "none came in " + Durations.format(BACKUP_MAX_AGE) + "; a fresh install whose first backup is running or done fires "
                    + "nothing",
            """
            (fortress_backup_none_since_timestamp_seconds > 0
              and on (job, instance, database) fortress_backup_runs_total{result="failure"} > 0)
            or time() - fortress_backup_none_since_timestamp_seconds""" + BACKUP_AGE_EXCEEDED,
            null, CRITICAL, "{{ $labels.database }} has no good backup yet, and the first attempt failed or has not come in "
                    + BACKUP_MAX_AGE.toHours() + " hours",
            "See the last failure in /health/database (backup.last_failure) and the serve log; docs/backup.md lists the failure modes.",
            "Before the first good backup the timestamp above is NaN, so FortressBackupTooOld stays quiet: a fresh\n"
                    + "install is not an outage. This one fires when that first backup failed (serve takes it at start), or has\n"
                    + "not come for as long as FortressBackupTooOld tolerates.");

    static final Rule BACKUP_VERIFICATION_FAILED = new Rule("FortressBackupVerificationFailed",
            "a verification failed in the last hour",
            "increase(fortress_backup_verifications_total{result=\"failed\"}[1h]) > 0", null, CRITICAL,
            "A backup of {{ $labels.database }} failed verification",
            "The backup is marked corrupt; run fortress backup verify on it and restore from another one if needed.", null);

    static final Rule BACKUP_REMOTE_UNREADABLE = new Rule("FortressBackupRemoteUnreadable",
            "the last listing of the remote repository found copies whose manifest cannot be read or authenticated",
            "fortress_backup_remote_unreadable > 0", null,
            CRITICAL, "{{ $value }} remote copies of {{ $labels.database }} cannot be read",
            "Their manifest fails to decrypt or authenticate: altered in the bucket, or encrypted with a key not given "
                    + "(BACKUP_ENCRYPTION_OLD_KEY_FILES); see fortress backup list --remote.", null);

    static final Rule MIGRATION_DIRTY = new Rule("FortressMigrationDirty",
            "a service's schema is dirty",
            "fortress_migration_dirty == 1", null, CRITICAL,
            "The schema of {{ $labels.service }} is dirty",
            "A migration failed half-way; fix the schema by hand, then fortress migrate force --service {{ $labels.service }} VERSION "
                    + "(docs/migrations.md).", null);

    /** WAL that has waited this long for the point-in-time recovery archive is a problem (archive_timeout is 60s). */
    static final Duration ARCHIVE_MAX_AGE = Duration.ofMinutes(10);

    static final Rule PITR_ARCHIVE_FAILING = new Rule("FortressPitrArchiveFailing",
            "with BACKUP_PITR, the primary's newest WAL archive attempt has failed for {for}",
            "fortress_pitr_archive_failing == 1", Duration.ofMinutes(5), CRITICAL,
            "WAL archiving of {{ $labels.database }} into pgBackRest fails",
            "Point-in-time recovery cannot reach past the last archived WAL, and the primary keeps every unarchived segment (its disk "
                    + "fills); see fortress backup pitr status and pgBackRest's log.", null);

    static final Rule PITR_ARCHIVE_BEHIND = new Rule("FortressPitrArchiveBehind",
            "with BACKUP_PITR, WAL has been written and the last segment archived is more than " + Durations.format(ARCHIVE_MAX_AGE)
                    + " old, for {for}",
            """
            fortress_pitr_last_archived_age_seconds > %d
            and on (job, instance, database) fortress_pitr_unarchived_bytes > 0""".formatted(ARCHIVE_MAX_AGE.toSeconds()),
            Duration.ofMinutes(5), WARNING,
            "WAL of {{ $labels.database }} has waited over " + ARCHIVE_MAX_AGE.toMinutes() + " minutes for the archive",
            "A lost primary now loses that much; see fortress backup pitr status (archive_timeout pushes a segment a minute).",
            "An idle server archives nothing and its age grows: that is no loss, so the rule also needs WAL not yet archived.");

    static final Rule PITR_DRILL_FAILED = new Rule("FortressPitrDrillFailed",
            "the last point-in-time restore drill failed",
            "fortress_pitr_last_drill_success == 0", null, CRITICAL,
            "The last restore drill of {{ $labels.database }} failed",
            "The repository may not restore; run fortress backup pitr drill and read its problems (docs/backup.md).", null);

    /** Every rule, in the file's order. */
    static final List<Rule> ALL = List.of(PRIMARY_DOWN, NO_REPLICA_STREAMING, REPLICA_LAGGING, REPLICA_FLAPPING, POOL_WAITERS,
            BACKUP_TOO_OLD, NO_BACKUP_YET, BACKUP_VERIFICATION_FAILED, BACKUP_REMOTE_UNREADABLE, MIGRATION_DIRTY, PITR_ARCHIVE_FAILING,
            PITR_ARCHIVE_BEHIND, PITR_DRILL_FAILED);

    /** The rows of the table of alerts in docs/metrics.md. */
    static List<String> markdownRows() {
        return ALL.stream().map(r -> "| `" + r.name() + "` | "
                + (r.forDuration() == null ? r.firesWhen() : r.firesWhen().replace("{for}", prometheus(r.forDuration()))) + " |").toList();
    }

    /** deploy/prometheus/fortress-rules.yml. */
    static String yaml() {
        StringBuilder y = new StringBuilder("# Alert rules over the meters of `fortress serve` (docs/metrics.md). Load with rule_files: in\n"
                + "# prometheus.yml; unit tests beside this file: promtool test rules fortress-rules.test.yml\n"
                + "# Generated from fortress-cli's AlertRules, which the status page reads too; regenerate with:\n"
                + "# " + REGENERATE + "\n"
                + "groups:\n  - name: fortress\n    rules:\n");
        for (int i = 0; i < ALL.size(); i++) {
            Rule r = ALL.get(i);
            if (i > 0) {
                y.append('\n');
            }
            if (r.comment() != null) {
                r.comment().lines().forEach(line -> y.append("      # ").append(line).append('\n'));
            }
            y.append("      - alert: ").append(r.name()).append('\n');
            if (r.expr().contains("\n")) {
                y.append("        expr: >\n");
                r.expr().lines().forEach(line -> y.append("          ").append(line).append('\n'));
            } else {
                y.append("        expr: ").append(r.expr()).append('\n');
            }
            if (r.forDuration() != null) {
                y.append("        for: ").append(prometheus(r.forDuration())).append('\n');
            }
            y.append("        labels:\n          severity: ").append(r.severity()).append('\n')
                    .append("        annotations:\n")
                    .append("          summary: ").append(quoted(r.summary())).append('\n')
                    .append("          description: ").append(quoted(r.description())).append('\n');
        }
        return y.toString();
    }

    /** A duration as Prometheus reads it (30s, 2m, 1h30m: the settings' own format is one of Prometheus's). */
    private static String prometheus(Duration d) {
        return Durations.format(d);
    }

    private static String quoted(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
