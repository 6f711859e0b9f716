package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.RemoteCopies;
import io.fortress.db.backup.RetentionPlan;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention: plans which backups (local) or copies (remote) no rule keeps and, unless it is a dry
 * run, deletes them (manifest first) and sweeps what interrupted runs left.
 */
public final class ExpireCommand {
    private static final Logger LOG = LoggerFactory.getLogger(ExpireCommand.class);
    private final BackupSetup setup;
    private final RemoteCommand remote;

    public ExpireCommand(BackupSetup setup, RemoteCommand remote) {
        this.setup = setup;
        this.remote = remote;
    }

    /** The local plan; carried out unless {@code dryRun}, then leftovers are swept when no backup is running. */
    public RetentionPlan expireLocal(boolean dryRun) {
        BackupContext ctx = setup.ctx();
        RetentionPlan plan = new RetentionPolicy(ctx.config()).plan(ctx.database(), setup.localBackups(), ctx.clock().instant(), dryRun);
        if (dryRun) {
            return plan;
        }
        carryOut(plan, "backup", d -> ctx.store().delete(d.backup()));
        Optional<BackupLock> lock = BackupLock.tryAcquire(ctx.store().dir(), ctx.database(), "cleanup");
        lock.ifPresent(l -> {
            try (l) {
                ctx.store().sweep(ctx.database());
                remote.sweepDownloads();
            }
        });
        return plan;
    }

    /** The remote plan (unreadable copies are kept and shown); carried out under the database's lock unless {@code dryRun}. */
    @SuppressWarnings("try") // the lock is held, not used
    public RetentionPlan expireRemote(boolean dryRun) {
        if (dryRun) {
            return planRemote(remote.list(), true);
        }
        RemoteRepository repository = setup.remote();
        BackupContext ctx = setup.ctx();
        try (BackupLock lock = setup.lock("remote cleanup")) {
            RemoteCopies copies = remote.list();
            RetentionPlan plan = planRemote(copies, false);
            if (!copies.unreadable().isEmpty()) {
                LOG.warn("{} remote copies of {} in {} have a manifest that cannot be read or authenticated; they are kept and "
                        + "counted, never deleted by retention: {}", copies.unreadable().size(), ctx.database(), repository.describe(),
                        copies.unreadable().stream().map(RemoteCopies.Unreadable::id).toList());
            }
            carryOut(plan, "the remote copy", d -> repository.delete(ctx.database(), d.id()));
            repository.sweep(ctx.database());
            return plan;
        } catch (IOException e) {
            throw new BackupException("remote cleanup in " + repository.describe() + " failed: " + e.getMessage(), e);
        }
    }

    private RetentionPlan planRemote(RemoteCopies copies, boolean dryRun) {
        BackupContext ctx = setup.ctx();
        return RetentionPolicy.remote(ctx.config()).plan(ctx.database(), copies.readable(), ctx.clock().instant(), dryRun)
                .withUnreadable(copies.unreadable());
    }

    /** Deletes what the plan lets go, in its order, logging each with its reasons. */
    private static <E extends Exception> void carryOut(RetentionPlan plan, String what, Deletion<E> deletion) throws E {
        for (RetentionPlan.Decision d : plan.decisions()) {
            if (d.delete()) {
                deletion.delete(d);
                LOG.info("deleted {} {} ({})", what, d.id(), String.join("; ", d.reasons()));
            }
        }
    }

    private interface Deletion<E extends Exception> {
        void delete(RetentionPlan.Decision decision) throws E;
    }
}
