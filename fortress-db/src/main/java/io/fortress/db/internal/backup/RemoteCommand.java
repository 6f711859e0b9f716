package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.RemoteCopies;
import io.fortress.db.backup.RestoreOptions;
import io.fortress.db.backup.RestoreResult;
import io.fortress.db.backup.VerificationReport;
import io.fortress.db.backup.VerifyLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the remote repository: lists the copies, and verifies or restores one after downloading it
 * (decrypted, every file checked against its manifest) into a private folder that is removed after.
 */
public final class RemoteCommand {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteCommand.class);
    private static final String DOWNLOAD_PREFIX = ".remote-";
    private final BackupSetup setup;
    private final VerifyCommand verify;

    public RemoteCommand(BackupSetup setup, VerifyCommand verify) {
        this.setup = setup;
        this.verify = verify;
    }

    /** The copies of this database, readable ones newest first, and those whose manifest cannot be read. */
    public RemoteCopies list() {
        RemoteRepository remote = setup.remote();
        try {
            RemoteCopies copies = remote.list(setup.ctx().database());
            setup.counters().remoteListed(copies.unreadable().size());
            return copies;
        } catch (IOException e) {
            throw new BackupException("cannot list the copies in " + remote.describe() + ": " + e.getMessage(), e);
        }
    }

    public VerificationReport verify(String id, VerifyLevel level, ProgressTracker progress) {
        return withDownload(id, (local, downloaded) -> verify.verify(local, downloaded, level, progress));
    }

    public RestoreResult restore(String id, RestoreOptions options, ProgressTracker progress) {
        return withDownload(id, (local, downloaded) -> setup.engineFor(downloaded).restore(local, downloaded, options, progress));
    }

    private <T> T withDownload(String id, BiFunction<BackupContext, BackupInfo, T> use) {
        RemoteRepository remote = setup.remote();
        BackupContext ctx = setup.ctx();
        ManifestPaths.checkId(id);
        ctx.store().ensureWritable();
        Path dir = null;
        try {
            dir = Files.createTempDirectory(ctx.store().dir(), DOWNLOAD_PREFIX + id + "-");
            BackupInfo downloaded;
            try {
                downloaded = remote.download(id, dir);
            } catch (IOException e) {
                throw verify.failed(VerificationReport.failedDownload(id, remote.describe(), VerifyLevel.CHECKSUMS, e.getMessage()));
            }
            return use.apply(ctx.in(new BackupStore(dir)), downloaded);
        } catch (IOException e) {
            throw new BackupException("cannot make a folder for the download in " + ctx.store().dir() + ": " + e.getMessage(), e);
        } finally {
            if (dir != null) {
                BackupFiles.deleteQuietly(dir);
            }
        }
    }

    /**
     * Removes the decrypted downloads of remote verifications and restores that were killed: folders
     * {@code .remote-*} older than twice BACKUP_TIMEOUT (a day when it is 0), which no live run still uses.
     */
    void sweepDownloads() {
        BackupContext ctx = setup.ctx();
        Duration age = ctx.timeout().isZero() ? Duration.ofDays(1) : ctx.timeout().multipliedBy(2);
        Instant before = ctx.clock().instant().minus(age);
        try (Stream<Path> entries = Files.list(ctx.store().dir())) {
            for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(DOWNLOAD_PREFIX)).toList()) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
                    BackupFiles.deleteQuietly(p);
                    LOG.info("removed the leftover download {}", p);
                }
            }
        } catch (IOException e) {
            LOG.debug("sweeping leftover downloads failed: {}", e.getMessage());
        }
    }
}
