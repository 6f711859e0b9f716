package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.BackupPhase;
import io.fortress.db.backup.BackupStatus;
import io.fortress.db.backup.VerificationReport.Check;
import io.fortress.db.backup.VerificationReport.Outcome;
import io.fortress.db.backup.VerificationReport;
import io.fortress.db.backup.VerifyLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies a backup level by level. Checksums, contents and full read all run even when an earlier
 * one failed (each finds other damage); the restore drill runs only on a backup that passed them.
 */
public final class Verifier {
    private static final Logger LOG = LoggerFactory.getLogger(Verifier.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final BackupContext ctx;

    public Verifier(BackupContext ctx) {
        this.ctx = ctx;
    }

    public VerificationReport verify(BackupInfo backup, VerifyLevel level, ProgressTracker progress) {
        progress.phase(BackupPhase.VERIFYING);
        List<Check> checks = new ArrayList<>();
        progress.item("checksums");
        checks.add(checksums(backup));
        ClientTools tools = null;
        if (level.compareTo(VerifyLevel.CONTENTS) >= 0) {
            PgVersion dumpedBy = PgVersion.parseVersionText(backup.manifest().source().pgDumpVersion());
            PgVersion server = level == VerifyLevel.RESTORE_DRILL ? ctx.server().serverVersion() : null;
            tools = ctx.toolsForArchive(dumpedBy, server);
            progress.item("contents");
            checks.add(contents(backup, tools));
        }
        if (level.compareTo(VerifyLevel.FULL_READ) >= 0) {
            progress.item("full read");
            checks.add(fullRead(backup, tools));
        }
        if (level == VerifyLevel.RESTORE_DRILL) {
            boolean earlierPassed = checks.stream().allMatch(c -> c.outcome() == Outcome.PASSED);
            if (earlierPassed) {
                progress.item("restore drill");
                checks.add(drill(backup, tools, progress));
            } else {
                checks.add(new Check(VerifyLevel.RESTORE_DRILL, Outcome.SKIPPED, "not restored: an earlier level failed"));
            }
        }
        VerificationReport report = new VerificationReport(backup.id(), backup.path().toString(), level, List.copyOf(checks));
        record(backup, report, level);
        return report;
    }

    /** Level 1 on its own, as restore runs it before touching any database. */
    public Check checksums(BackupInfo backup) {
        List<String> problems = new ArrayList<>();
        Path dir = backup.manifestPath().getParent();
        Set<Path> listed = new HashSet<>();
        try {
            for (BackupManifest.FileEntry f : backup.manifest().files().entries()) {
                Path file = dir.resolve(f.path()).normalize();
                listed.add(file);
                if (Files.isSymbolicLink(file)) {
                    problems.add(f.path() + " is a symbolic link (links in a backup folder are not followed)");
                    continue;
                }
                if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    problems.add(f.path() + " is missing");
                    continue;
                }
                long size = Files.size(file);
                if (size != f.sizeBytes()) {
                    problems.add(f.path() + " has " + size + " bytes, the manifest says " + f.sizeBytes());
                    continue;
                }
                String sha = HexFormat.of().formatHex(BackupFiles.sha256(file));
                if (!sha.equalsIgnoreCase(f.sha256())) {
                    problems.add(f.path() + " has SHA-256 " + sha + ", the manifest says " + f.sha256());
                }
            }
            for (Path f : BackupFiles.regularFiles(backup.path())) {
                if (!listed.contains(f.normalize())) {
                    problems.add(dir.relativize(f) + " is not in the manifest");
                }
            }
        } catch (IOException e) {
            problems.add("cannot read the files: " + e.getMessage());
        }
        if (problems.isEmpty()) {
            return new Check(VerifyLevel.CHECKSUMS, Outcome.PASSED, backup.manifest().files().entries().size() + " files match the manifest");
        }
        return new Check(VerifyLevel.CHECKSUMS, Outcome.FAILED, String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                + (problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : ""));
    }

    private Check contents(BackupInfo backup, ClientTools tools) {
        ArchiveToc toc;
        try {
            toc = ArchiveToc.read(tools, backup.path(), ctx.timeout());
        } catch (BackupException e) {
            return new Check(VerifyLevel.CONTENTS, Outcome.FAILED, e.getMessage());
        }
        BackupManifest m = backup.manifest();
        List<String> problems = new ArrayList<>();
        String format = toc.format().orElse("unknown");
        if (!format.equalsIgnoreCase(m.contents().format())) {
            problems.add("the archive's format is " + format + ", the manifest says " + m.contents().format());
        }
        int declared = toc.declaredEntries().orElse(-1);
        if (declared != m.contents().tocEntries()) {
            problems.add("the archive has " + declared + " entries, the manifest says " + m.contents().tocEntries());
        }
        if (m.contents().includeData()) {
            for (BackupManifest.TableEntry t : m.contents().tables()) {
                if (!toc.hasTableData(t.schema(), t.name())) {
                    problems.add("no data entry for table " + t.schema() + "." + t.name());
                }
            }
        }
        if (!problems.isEmpty()) {
            return new Check(VerifyLevel.CONTENTS, Outcome.FAILED, String.join("; ", problems));
        }
        return new Check(VerifyLevel.CONTENTS, Outcome.PASSED, declared + " entries, data of " + m.contents().tables().size()
                + " tables listed (a listing does not read the data)");
    }

    private Check fullRead(BackupInfo backup, ClientTools tools) {
        ToolProcess.Result r = ToolProcess.run(List.of(tools.pgRestore(), "--file=/dev/null", backup.path().toString()), java.util.Map.of(),
                ctx.timeout(), null);
        if (!r.ok()) {
            return new Check(VerifyLevel.FULL_READ, Outcome.FAILED, r.failure() + ", reading the whole archive: " + r.errorTail(3));
        }
        return new Check(VerifyLevel.FULL_READ, Outcome.PASSED, "every entry read and decompressed");
    }

    private Check drill(BackupInfo backup, ClientTools tools, ProgressTracker progress) {
        BackupManifest m = backup.manifest();
        if (!m.contents().includeSchema()) {
            return new Check(VerifyLevel.RESTORE_DRILL, Outcome.FAILED, "a data-only backup cannot be restored into an empty database");
        }
        // CREATE DATABASE fails on a name that exists, so the drill can never load into (or drop) a database it did not create
        String scratch = "fortress_verify_" + HexFormat.of().formatHex(randomBytes());
        ctx.server().createDatabase(scratch);
        try (ConnectionEnvironment env = ConnectionEnvironment.of(ctx.db(), ctx.server().primaryAddress())) {
            List<String> cmd = new ArrayList<>(List.of(tools.pgRestore(), "--no-password", "--verbose", "--exit-on-error",
                    "--no-owner", "--no-privileges", "--jobs=" + ctx.config().parallelJobs(),
                    "--dbname=" + ServerAccess.dbnameConninfo(scratch), backup.path().toString()));
            ToolProcess.Result r = ToolProcess.run(cmd, env.variables(), ctx.timeout(), progress.pgRestoreLines());
            if (!r.ok()) {
                String err = r.errorTail(4);
                return new Check(VerifyLevel.RESTORE_DRILL, Outcome.FAILED, r.failure() + ", restoring into scratch database " + scratch
                        + ": " + err + BackupContext.hint(err));
            }
            return compareCounts(m, scratch);
        } finally {
            try {
                ctx.server().dropDatabase(scratch);
            } catch (BackupException e) {
                LOG.warn("could not drop the drill's scratch database {}: {}; drop it by hand", scratch, e.getMessage());
            }
        }
    }

    private Check compareCounts(BackupManifest m, String scratch) {
        List<String> problems = new ArrayList<>();
        int compared = 0;
        try (Connection c = ctx.server().open(scratch)) {
            List<ServerAccess.TableRows> restored = ServerAccess.tables(c);
            Set<String> names = new HashSet<>();
            restored.forEach(t -> names.add(t.schema() + "\u0000" + t.name()));
            List<ServerAccess.TableRows> expected = new ArrayList<>();
            for (BackupManifest.TableEntry t : m.contents().tables()) {
                if (!names.contains(t.schema() + "\u0000" + t.name())) {
                    problems.add("table " + t.schema() + "." + t.name() + " is missing after the restore");
                } else if (t.rows() != null) {
                    expected.add(new ServerAccess.TableRows(t.schema(), t.name(), t.rows()));
                }
            }
            List<ServerAccess.TableRows> actual = ServerAccess.count(c, expected);
            for (int i = 0; i < expected.size(); i++) {
                compared++;
                if (!expected.get(i).rows().equals(actual.get(i).rows())) {
                    problems.add("table " + expected.get(i).schema() + "." + expected.get(i).name() + " has " + actual.get(i).rows()
                            + " rows after the restore, the manifest says " + expected.get(i).rows());
                }
            }
        } catch (SQLException e) {
            problems.add("cannot count rows in the scratch database: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            return new Check(VerifyLevel.RESTORE_DRILL, Outcome.FAILED, String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
        }
        return new Check(VerifyLevel.RESTORE_DRILL, Outcome.PASSED, "restored into a scratch database; "
                + (m.contents().rowCountsExact() ? "row counts of " + compared + " tables match the manifest" : "all " + m.contents().tables().size()
                + " tables present (the manifest has no row counts)"));
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }

    /** Records the outcome in the manifest: verified with level and time, or corrupt. */
    private void record(BackupInfo backup, VerificationReport report, VerifyLevel level) {
        if (!Files.exists(backup.manifestPath())) {
            return; // deleted meanwhile
        }
        BackupManifest current = ctx.store().read(backup.manifestPath()).map(BackupInfo::manifest).orElse(backup.manifest());
        if (!report.passed()) {
            ctx.store().writeManifest(current.with(current.lifecycle().withStatus(BackupStatus.CORRUPT, null, null)));
            return;
        }
        boolean deeperOnRecord = current.lifecycle().status() == BackupStatus.VERIFIED && current.lifecycle().verifyLevel() != null
                && VerifyLevel.parse(current.lifecycle().verifyLevel()).compareTo(level) > 0;
        ctx.store().writeManifest(current.with(current.lifecycle().withStatus(BackupStatus.VERIFIED, ctx.clock().instant(), deeperOnRecord ? null : level)));
    }
}
