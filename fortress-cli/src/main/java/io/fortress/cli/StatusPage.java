package io.fortress.cli;

import io.fortress.db.Database;
import io.fortress.db.api.HealthStatus;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeRole;
import io.fortress.db.api.NodeState;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManager;
import io.fortress.db.backup.BackupSchedule;
import io.fortress.db.backup.BackupStats;
import io.fortress.db.backup.BackupStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The operator's page at {@code /}: server-rendered HTML and inline SVG, no script, no external
 * resource; it reloads itself every {@link #REFRESH_SECONDS} seconds and fits a phone. Everything it
 * shows comes from caches (the health checker, {@link StatusHistory}, {@link Readiness}, the backup
 * manager's stats and folder): a page load never queries a database. The alert section applies the
 * conditions of the alert rules ({@link AlertRules}, which also write deploy/prometheus/fortress-rules.yml) to what the
 * page knows.
 */
final class StatusPage {
    static final int REFRESH_SECONDS = 3;

    private final Database db;
    private final StatusHistory history;
    private final Readiness readiness;
    private final BackupManager backups;
    private final BackupSchedule schedule;

    StatusPage(Database db, StatusHistory history, Readiness readiness, BackupManager backups, BackupSchedule schedule) {
        this.db = db;
        this.history = history;
        this.readiness = readiness;
        this.backups = backups;
        this.schedule = schedule;
    }

    String render() {
        HealthStatus status = db.healthChecker().status();
        Duration maxLag = db.config().maxReplicaLag();
        List<String> alerts = new ArrayList<>();
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<meta http-equiv=\"refresh\" content=\"").append(REFRESH_SECONDS).append("\">")
                .append("<title>fortress: ").append(status.primaryHealthy() ? "UP" : "PRIMARY DOWN").append("</title><style>").append(CSS)
                .append("</style></head><body>");
        h.append("<header><h1>fortress</h1><span class=\"badge ").append(status.primaryHealthy() ? "ok" : "bad").append("\" id=\"overall\">")
                .append(status.primaryHealthy() ? "UP" : "PRIMARY DOWN").append("</span><span class=\"muted\">")
                .append(esc(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())).append(" · health snapshot ")
                .append(status.age().toMillis()).append(" ms old · reloads every ").append(REFRESH_SECONDS).append(" s</span></header>");

        nodes(h, status, maxLag, alerts);
        if (db.config().hedgeReads()) {
            hedgedReads(h);
        }
        schemas(h, alerts);
        backups(h, alerts);
        if (backups.config().pitr()) {
            pointInTime(h, alerts);
        }

        if (!status.primaryHealthy()) {
            alerts.add(0, AlertRules.PRIMARY_DOWN.holds("no DB_HOST candidate accepts writes"));
        }
        h.append("<section><h2>Alerts</h2>");
        if (alerts.isEmpty()) {
            h.append("<p class=\"ok-text\" id=\"alerts\">none of the alert rules' conditions holds</p>");
        } else {
            h.append("<ul id=\"alerts\">");
            alerts.forEach(a -> h.append("<li class=\"bad-text\">").append(esc(a)).append("</li>"));
            h.append("</ul>");
        }
        h.append("</section><footer class=\"muted\">JSON: <a href=\"/health/database\">/health/database</a> · ")
                .append("<a href=\"/health/ready\">/health/ready</a> · <a href=\"/metrics/database\">/metrics/database</a> · ")
                .append("<a href=\"/metrics\">/metrics</a></footer></body></html>");
        return h.toString();
    }

    private void nodes(StringBuilder h, HealthStatus status, Duration maxLag, List<String> alerts) {
        h.append("<section><h2>Nodes</h2><div class=\"scroll\"><table id=\"nodes\"><tr><th>node</th><th>role</th><th>state</th>")
                .append("<th>lag</th><th>last 15 min</th><th>pool in use / idle / waiting</th><th>statements/s</th><th>errors/s</th>")
                .append("<th>slow/s</th></tr>");
        int replicas = 0;
        int streaming = 0;
        for (NodeHealth n : status.nodes()) {
            List<StatusHistory.Point> points = history.points(n.name());
            StatusHistory.Point last = points.isEmpty() ? null : points.get(points.size() - 1);
            boolean good = n.state() == NodeState.UP || n.state() == NodeState.STREAMING;
            h.append("<tr data-node=\"").append(esc(n.name())).append("\" data-state=\"").append(n.state().name()).append("\"><td>")
                    .append(esc(n.name())).append("<div class=\"muted\">").append(esc(String.valueOf(n.address()))).append("</div></td><td>")
                    .append(n.role().name().toLowerCase(Locale.ROOT)).append("</td><td><span class=\"badge ")
                    .append(good ? "ok" : n.state().name().equals("LAGGING") || n.state().name().equals("CATCHING_UP") ? "warn" : "bad")
                    .append("\">").append(n.state().name()).append("</span><div class=\"muted\">").append(esc(n.reason() == null ? "" : n.reason()))
                    .append(" · since ").append(esc(n.since().truncatedTo(ChronoUnit.SECONDS).toString())).append("</div></td><td>");
            if (n.role() == NodeRole.REPLICA) {
                replicas++;
                streaming += n.state() == NodeState.STREAMING ? 1 : 0;
                h.append(n.lagSeconds() == null ? "unknown" : String.format(Locale.ROOT, "%.1f s", n.lagSeconds()))
                        .append("<div class=\"muted\">").append(n.lagBytes() == null ? "" : humanBytes(n.lagBytes())).append("</div>");
                if (n.lagSeconds() != null && n.lagSeconds() > maxLag.toMillis() / 1000.0) {
                    alerts.add(AlertRules.REPLICA_LAGGING.holds(n.name() + " lags " + String.format(Locale.ROOT, "%.1f s", n.lagSeconds())
                            + ", over DB_MAX_REPLICA_LAG " + io.fortress.db.api.Durations.format(maxLag)));
                }
                long flaps = transitions(points);
                if (flaps > AlertRules.FLAP_LIMIT) {
                    alerts.add(AlertRules.REPLICA_FLAPPING.holds(n.name() + " changed in and out of streaming " + flaps + " times in "
                            + AlertRules.FLAP_WINDOW.toMinutes() + " min"));
                }
            } else {
                h.append("—");
            }
            h.append("</td><td>").append(n.role() == NodeRole.REPLICA ? sparkline(points, maxLag) : "").append("</td><td>");
            if (last != null && !Double.isNaN(last.inUse())) {
                h.append(fmt(last.inUse())).append(" / ").append(fmt(last.idle())).append(" / ")
                        .append(last.pending() > 0 ? "<b class=\"bad-text\">" + fmt(last.pending()) + "</b>" : fmt(last.pending()));
                if (waitedThroughout(points, AlertRules.POOL_WAIT)) {
                    alerts.add(AlertRules.POOL_WAITERS.holds("threads have waited for a connection of " + n.name() + " for "
                            + io.fortress.db.api.Durations.format(AlertRules.POOL_WAIT)));
                }
            } else {
                h.append("no pool");
            }
            h.append("</td><td>").append(rate(points, StatusHistory.Point::queries)).append("</td><td>")
                    .append(rate(points, StatusHistory.Point::errors)).append("</td><td>").append(rate(points, StatusHistory.Point::slow))
                    .append("</td></tr>");
        }
        h.append("</table></div></section>");
        if (replicas > 0 && streaming == 0) {
            alerts.add(AlertRules.NO_REPLICA_STREAMING.holds("none of the " + replicas + " replicas is streaming; reads go to the primary"));
        }
    }

    private void schemas(StringBuilder h, List<String> alerts) {
        h.append("<section><h2>Schemas</h2><div class=\"scroll\"><table id=\"schemas\"><tr><th>service</th><th>version</th>")
                .append("<th>newest in this build</th><th>state</th></tr>");
        Map<Service, List<String>> findings = history.findings();
        readiness.current().schemas().forEach((service, s) -> {
            List<String> notes = new ArrayList<>(findings.getOrDefault(service, List.of()));
            String state;
            if (s.error() != null) {
                state = "<span class=\"badge bad\">UNKNOWN</span> " + esc(s.error());
            } else if (s.dirty()) {
                state = "<span class=\"badge bad\">DIRTY</span>";
                alerts.add(AlertRules.MIGRATION_DIRTY.holds("the schema of " + service.id() + " is dirty at version " + s.version()));
            } else if (s.version() > s.latest()) {
                state = "<span class=\"badge warn\">AHEAD</span> the database is newer than this build";
            } else if (s.version() < s.latest()) {
                state = "<span class=\"badge warn\">BEHIND</span> " + (s.latest() - s.version()) + " pending";
            } else {
                state = "<span class=\"badge ok\">CURRENT</span>";
            }
            h.append("<tr data-service=\"").append(service.id()).append("\"><td>").append(service.id()).append("</td><td>")
                    .append(s.version()).append("</td><td>").append(s.latest()).append("</td><td>").append(state);
            notes.forEach(f -> h.append("<div class=\"warn-text\">drift: ").append(esc(f)).append("</div>"));
            h.append("</td></tr>");
        });
        h.append("</table></div></section>");
    }

    private void backups(StringBuilder h, List<String> alerts) {
        BackupStats stats = backups.stats();
        List<BackupInfo> local = backups.listBackups();
        BackupInfo newest = local.isEmpty() ? null : local.get(0);
        h.append("<section><h2>Backups</h2><dl id=\"backups\">");
        h.append("<dt>folder</dt><dd>").append(esc(backups.config().backupDir().toString())).append("</dd>");
        h.append("<dt>newest</dt><dd>");
        if (newest == null) {
            h.append("none yet");
        } else {
            boolean corrupt = newest.status() == BackupStatus.CORRUPT;
            h.append(esc(newest.id())).append(" · ").append(humanBytes(newest.sizeBytes())).append(" · <span class=\"badge ")
                    .append(corrupt ? "bad" : newest.status() == BackupStatus.VERIFIED ? "ok" : "warn").append("\">")
                    .append(newest.status().spelling().toUpperCase(Locale.ROOT)).append("</span>");
            if (corrupt) {
                alerts.add(AlertRules.BACKUP_VERIFICATION_FAILED.holds("the newest backup " + newest.id() + " failed verification"));
            }
        }
        h.append("</dd><dt>last success</dt><dd id=\"last-success\">");
        java.util.Optional<Instant> nextRun = schedule == null ? java.util.Optional.empty() : schedule.nextRun();
        if (stats.lastSuccessAt().isPresent()) {
            Instant last = stats.lastSuccessAt().get();
            h.append(esc(last.truncatedTo(ChronoUnit.SECONDS).toString()));
            if (Duration.between(last, Instant.now()).compareTo(AlertRules.BACKUP_MAX_AGE) > 0) {
                alerts.add(AlertRules.BACKUP_TOO_OLD.holds("no successful backup in the last " + AlertRules.BACKUP_MAX_AGE.toHours() + " hours"));
            }
        } else {
            // a fresh install is not an outage: neutral until the first attempt failed or BACKUP_MAX_AGE passed without one
            Instant since = backups.noBackupSince().orElse(Instant.now());
            h.append("no backup yet; ").append(stats.running().isPresent() ? "the first one is running"
                    : nextRun.map(t -> "the first one is due at " + esc(t.truncatedTo(ChronoUnit.SECONDS).toString()))
                    .orElse("none is scheduled"));
            if (stats.failures() > 0) {
                alerts.add(AlertRules.NO_BACKUP_YET.holds("there is no good backup yet and the first attempt failed (see last failure)"));
            } else if (Duration.between(since, Instant.now()).compareTo(AlertRules.BACKUP_MAX_AGE) > 0) {
                alerts.add(AlertRules.NO_BACKUP_YET.holds("there is no good backup yet, " + AlertRules.BACKUP_MAX_AGE.toHours()
                        + " hours after serve started"));
            }
        }
        h.append("</dd>");
        stats.lastFailure().ifPresent(f -> h.append("<dt>last failure</dt><dd class=\"bad-text\">").append(esc(f)).append("</dd>"));
        h.append("<dt>next scheduled</dt><dd>").append(schedule == null ? "no schedule"
                : schedule.nextRun().map(t -> esc(t.truncatedTo(ChronoUnit.SECONDS).toString())).orElse("not scheduled")).append("</dd>");
        backups.config().remote().ifPresent(r -> {
            int pending = backups.pendingUploads().size();
            h.append("<dt>remote copies</dt><dd>").append(esc(r.toString())).append(" · ")
                    .append(pending == 0 ? "every good backup copied" : "<span class=\"warn-text\">" + pending + " not yet copied</span>")
                    .append("</dd>");
        });
        h.append("</dl></section>");
    }

    /** Hedged reads (DB_HEDGE_READS): what the counters did over the last minute, and since serve started. */
    private void hedgedReads(StringBuilder h) {
        List<StatusHistory.Hedges> samples = history.hedges();
        h.append("<section><h2>Hedged reads</h2>");
        if (samples.isEmpty()) {
            h.append("<p class=\"muted\">no sample yet</p></section>");
            return;
        }
        StatusHistory.Hedges last = samples.get(samples.size() - 1);
        Instant minuteAgo = last.at().minusSeconds(60);
        StatusHistory.Hedges from = samples.stream().filter(p -> !p.at().isBefore(minuteAgo)).findFirst().orElse(last);
        String[] labels = {"sent", "won", "denied by budget", "unsent", "cancels", "cancels unanswered", "aborted without cancel"};
        h.append("<div class=\"scroll\"><table id=\"hedges\"><tr><th></th>");
        for (String label : labels) {
            h.append("<th>").append(label).append("</th>");
        }
        for (boolean lastMinute : new boolean[] {true, false}) {
            h.append("</tr><tr><td>").append(lastMinute ? "last minute" : "since start").append("</td>");
            for (int i = 0; i < labels.length; i++) {
                double value = lastMinute ? last.totals()[i] - from.totals()[i] : last.totals()[i];
                boolean warn = i == 3 && value > 0;
                h.append("<td data-meter=\"").append(esc(StatusHistory.HEDGE_METERS.get(i))).append("\"")
                        .append(warn ? " class=\"warn-text\"" : "").append(">").append(count(value)).append("</td>");
            }
        }
        h.append("</tr></table></div></section>");
    }

    private static String count(double value) {
        return Double.isNaN(value) ? "-" : String.valueOf(Math.round(value));
    }

    /** WAL archiving (the primary's pg_stat_archiver, read at most every 10 s), the newest base backup and the last restore drill this process ran. */
    private void pointInTime(StringBuilder h, List<String> alerts) {
        io.fortress.db.backup.PointInTime pitr = backups.pointInTime();
        h.append("<section><h2>Point-in-time recovery</h2><dl id=\"pitr\"><dt>WAL archive</dt><dd>");
        try {
            io.fortress.db.backup.ArchiveState a = pitr.recentArchiveState();
            h.append(a.failing() ? "<span class=\"badge bad\">FAILING</span> " : "<span class=\"badge ok\">ARCHIVING</span> ")
                    .append(esc(a.lastArchivedWal().orElse("nothing archived yet")))
                    .append(a.lastArchivedAge().map(age -> " · " + esc(io.fortress.db.api.Durations.format(age.withNanos(0))) + " ago").orElse(""))
                    .append(" · ").append(humanBytes(a.unarchivedBytes())).append(" not yet archived");
            if (a.failing()) {
                alerts.add(AlertRules.PITR_ARCHIVE_FAILING.holds("the newest WAL archive attempt failed (" + a.failedCount() + " failures)"));
            } else if (a.unarchivedBytes() > 0 && a.lastArchivedAge().filter(age -> age.compareTo(AlertRules.ARCHIVE_MAX_AGE) > 0).isPresent()) {
                alerts.add(AlertRules.PITR_ARCHIVE_BEHIND.holds("written WAL has waited over " + AlertRules.ARCHIVE_MAX_AGE.toMinutes()
                        + " minutes for the archive"));
            }
        } catch (RuntimeException e) {
            h.append("<span class=\"warn-text\">unknown: ").append(esc(e.getMessage())).append("</span>");
        }
        h.append("</dd><dt>newest base backup</dt><dd>").append(pitr.newestKnownBase().map(b -> esc(b.label()) + " · "
                + b.type().spelling() + " · " + humanBytes(b.size()) + " · " + esc(b.stopped().truncatedTo(ChronoUnit.SECONDS).toString()))
                .orElse("none known yet")).append("</dd><dt>last restore drill</dt><dd id=\"drill\">");
        pitr.lastDrill().ifPresentOrElse(d -> {
            h.append("<span class=\"badge ").append(d.passed() ? "ok\">PASSED" : "bad\">FAILED").append("</span> ")
                    .append(esc(d.started().truncatedTo(ChronoUnit.SECONDS).toString())).append(" · restored in ")
                    .append(esc(io.fortress.db.api.Durations.format(d.restoreTime().withNanos(0)))).append(" · ").append(d.compared())
                    .append(" tables compared");
            if (!d.passed()) {
                h.append("<div class=\"bad-text\">").append(esc(String.join("; ", d.problems()))).append("</div>");
                alerts.add(AlertRules.PITR_DRILL_FAILED.holds("the restore drill of " + d.started().truncatedTo(ChronoUnit.SECONDS) + " failed"));
            }
        }, () -> h.append("none since serve started"));
        h.append("</dd></dl></section>");
    }

    /** An SVG line of the replica's lag over the samples, with DB_MAX_REPLICA_LAG dashed; gaps where the lag was unknown. */
    static String sparkline(List<StatusHistory.Point> points, Duration maxLag) {
        int w = 180;
        int hgt = 32;
        double limit = maxLag.toMillis() / 1000.0;
        double top = limit;
        for (StatusHistory.Point p : points) {
            if (p.lagSeconds() != null && !p.lagSeconds().isNaN()) {
                top = Math.max(top, p.lagSeconds());
            }
        }
        StringBuilder svg = new StringBuilder("<svg class=\"spark\" viewBox=\"0 0 " + w + " " + hgt + "\" width=\"" + w + "\" height=\""
                + hgt + "\" role=\"img\" aria-label=\"lag over the last 15 minutes\">");
        double yLimit = hgt - 2 - (hgt - 4) * limit / top;
        svg.append(String.format(Locale.ROOT, "<line x1=\"0\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"limit\"/>", w, yLimit, yLimit));
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < points.size(); i++) {
            StatusHistory.Point p = points.get(i);
            double x = w * (StatusHistory.SAMPLES - points.size() + i) / (double) (StatusHistory.SAMPLES - 1);
            if (p.lagSeconds() == null || p.lagSeconds().isNaN()) {
                flush(svg, line);
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"0\" width=\"2\" height=\"%d\" class=\"gap\"/>", x, hgt));
                continue;
            }
            double y = hgt - 2 - (hgt - 4) * p.lagSeconds() / top;
            line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        flush(svg, line);
        return svg.append("</svg>").toString();
    }

    private static void flush(StringBuilder svg, StringBuilder line) {
        if (!line.isEmpty()) {
            svg.append("<polyline points=\"").append(line.toString().strip()).append("\"/>");
            line.setLength(0);
        }
    }

    /** How often the replica went in or out of streaming within the flap window of the samples. */
    private static long transitions(List<StatusHistory.Point> points) {
        long n = 0;
        int window = (int) (AlertRules.FLAP_WINDOW.toSeconds() / StatusHistory.STEP.toSeconds());
        for (int i = Math.max(1, points.size() - window); i < points.size(); i++) {
            if ((points.get(i).state() == NodeState.STREAMING) != (points.get(i - 1).state() == NodeState.STREAMING)) {
                n++;
            }
        }
        return n;
    }

    /** Whether every sample over the last {@code span} saw waiting threads. */
    private static boolean waitedThroughout(List<StatusHistory.Point> points, Duration span) {
        int needed = (int) (span.toSeconds() / StatusHistory.STEP.toSeconds()) + 1;
        if (points.size() < needed) {
            return false;
        }
        return points.subList(points.size() - needed, points.size()).stream().allMatch(p -> p.pending() > 0);
    }

    /** Per second over the last minute of samples (or what there is of it). */
    private static String rate(List<StatusHistory.Point> points, java.util.function.ToDoubleFunction<StatusHistory.Point> counter) {
        if (points.size() < 2) {
            return "—";
        }
        StatusHistory.Point last = points.get(points.size() - 1);
        StatusHistory.Point first = points.get(Math.max(0, points.size() - 1 - (int) (60 / StatusHistory.STEP.toSeconds())));
        double seconds = Duration.between(first.at(), last.at()).toMillis() / 1000.0;
        double delta = counter.applyAsDouble(last) - counter.applyAsDouble(first);
        return seconds <= 0 || Double.isNaN(delta) ? "—" : String.format(Locale.ROOT, "%.1f", delta / seconds);
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "?" : Long.toString(Math.round(v));
    }

    static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
        return String.format(Locale.ROOT, "%.1f %siB", bytes / (double) (1L << (unit * 10)), "KMGTPE".charAt(unit - 1));
    }

    /** HTML-escapes text (node names, reasons and errors come from configuration and servers). */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static final String CSS = "body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:12px;color:#1b1f24;"
            + "background:#fafbfc}header{display:flex;flex-wrap:wrap;gap:10px;align-items:center}h1{font-size:22px;margin:0}"
            + "h2{font-size:17px;margin:18px 0 6px}.muted{color:#667;font-size:12px}.scroll{overflow-x:auto}"
            + "table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e3e6ea;padding:6px 8px;"
            + "text-align:left;vertical-align:top;white-space:nowrap}td .muted{white-space:normal;max-width:280px;overflow-wrap:anywhere}th{font-size:12px;color:#556}"
            + ".badge{display:inline-block;border-radius:4px;padding:1px 7px;font-weight:600;font-size:12px;color:#fff}"
            + ".ok{background:#1a7f37}.warn{background:#b35900}.bad{background:#cf222e}.ok-text{color:#1a7f37}"
            + ".warn-text{color:#b35900}.bad-text{color:#cf222e}.spark polyline{fill:none;stroke:#0969da;stroke-width:1.5}"
            + ".spark .limit{stroke:#cf222e;stroke-dasharray:3 3;stroke-width:1}.spark .gap{fill:#f3c4c8}"
            + "dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;background:#fff;padding:8px;margin:0}"
            + "dt{color:#556}dd{margin:0}ul{margin:0;padding-left:20px}footer{margin-top:18px}"
            + "@media (max-width:600px){body{font-size:14px;padding:8px}th,td{padding:4px 5px}}";
}
