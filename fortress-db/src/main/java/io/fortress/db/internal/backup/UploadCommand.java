package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Copies good local backups not yet in the remote repository there, oldest first, and records each copy in its manifest. */
public final class UploadCommand {
    private static final Logger LOG = LoggerFactory.getLogger(UploadCommand.class);
    private final BackupSetup setup;

    public UploadCommand(BackupSetup setup) {
        this.setup = setup;
    }

    /** Takes the database's lock and copies what is pending. */
    @SuppressWarnings("try") // the lock is held, not used
    public List<BackupInfo> upload() {
        setup.remote();
        try (BackupLock lock = setup.lock("upload")) {
            return uploadLocked();
        }
    }

    /** Good local backups not yet copied to the remote repository, newest first (none without one). */
    public List<BackupInfo> pending() {
        if (!setup.hasRemote()) {
            return List.of();
        }
        String location = setup.ctx().config().remote().orElseThrow().toString();
        return setup.localBackups().stream().filter(b -> b.status().isGood() && !b.manifest().uploadedTo(location)).toList();
    }

    /** Copies what is pending; the caller holds the database's lock. */
    List<BackupInfo> uploadLocked() {
        BackupContext ctx = setup.ctx();
        RemoteRepository remote = setup.remote();
        RemoteUploads uploads = setup.counters().uploads();
        List<BackupInfo> pending = new ArrayList<>(pending());
        Collections.reverse(pending); // oldest first
        List<BackupInfo> copied = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            List<String> swept = remote.sweep(ctx.database());
            if (!swept.isEmpty()) {
                LOG.info("removed leftovers of interrupted uploads from {}: {}", remote.describe(), swept);
            }
        } catch (IOException | RuntimeException e) {
            uploads.failed();
            throw new BackupException("cannot reach " + remote.describe() + " (" + pending.size() + " backup(s) not yet copied stay "
                    + "pending): " + e.getMessage(), e);
        }
        for (BackupInfo b : pending) {
            // one backup that cannot be copied must not hold back the newer ones
            try {
                BackupManifest recorded = remote.upload(b, ctx.store().dir(), ctx.clock().instant(), uploads::uploaded);
                // re-read: a pin or a verification may have changed the manifest while the copy was made
                BackupManifest now = ctx.store().read(b.manifestPath()).map(BackupInfo::manifest).orElse(b.manifest());
                ctx.store().writeManifest(now.with(now.lifecycle().withUploaded(Instant.parse(recorded.lifecycle().uploadedAt()), recorded.lifecycle().keyFingerprint(),
                        recorded.lifecycle().uploadedTo())));
                copied.add(ctx.store().read(b.manifestPath()).orElse(b));
                LOG.info("copied backup {} to {}{}", b.id(), remote.describe(),
                        recorded.lifecycle().keyFingerprint() == null ? "" : " (encrypted with key " + recorded.lifecycle().keyFingerprint() + ")");
            } catch (IOException | RuntimeException e) {
                failures.add(b.id() + ": " + e.getMessage());
                LOG.warn("backup {} was not copied to {}: {}", b.id(), remote.describe(), e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            uploads.failed();
            throw new BackupException("copying backups to " + remote.describe() + " failed for " + failures.size() + " of "
                    + pending.size() + " (they stay pending): " + String.join("; ", failures));
        }
        uploads.finished(Duration.ofNanos(System.nanoTime() - t0));
        return copied;
    }
}
