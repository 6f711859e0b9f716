package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupFormat;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import io.fortress.db.backup.RestoreOptions;
import io.fortress.db.backup.RestoreResult;
import io.fortress.db.backup.VerificationReport;
import io.fortress.db.backup.VerifyLevel;
import java.util.Optional;

/** Logical backups: pg_dump archives (custom or directory format) that plain pg_restore reads. */
public final class DumpEngine implements BackupEngine {

    @Override
    public boolean wrote(BackupManifest manifest) {
        try {
            BackupFormat.parse(manifest.contents().format());
            return true;
        } catch (IllegalArgumentException notAnArchive) {
            return false;
        }
    }

    @Override
    public Run prepare(BackupContext ctx) {
        PgVersion server = ctx.server().serverVersion();
        ClientTools tools = ctx.toolsForServer(server);
        Optional<String> compress = ctx.config().compression().pgDumpArgument(tools.version().majorNumber(), tools.describe("pg_dump"));
        return new Run() {
            @Override
            public String describe() {
                return tools.describe("pg_dump");
            }

            @Override
            public BackupInfo take(ProgressTracker progress) {
                return new Dumper(ctx).dump(server, tools, compress, progress);
            }
        };
    }

    @Override
    public VerificationReport verify(BackupContext ctx, BackupInfo backup, VerifyLevel level, ProgressTracker progress) {
        return new Verifier(ctx).verify(backup, level, progress);
    }

    @Override
    public RestoreResult restore(BackupContext ctx, BackupInfo backup, RestoreOptions options, ProgressTracker progress) {
        return new Restorer(ctx, new Verifier(ctx)).restore(backup, options, progress);
    }
}
