package io.fortress.db.backup;

import io.fortress.db.api.DbConfigException;
import java.nio.file.Path;

/** The checks of {@link BackupConfig.Builder#build()} that span several settings; each names the settings and what to do. */
final class BackupConfigChecks {
    private BackupConfigChecks() {
    }

    static void check(BackupConfig config) {
        if (!config.includeSchema() && !config.includeData()) {
            throw new DbConfigException("includeSchema (BACKUP_INCLUDE_SCHEMA) and includeData (BACKUP_INCLUDE_DATA) are both "
                    + "false, so a backup would hold nothing; set at least one of them to true");
        }
        if (config.verifyAfterBackup().filter(l -> l == VerifyLevel.RESTORE_DRILL).isPresent() && !config.includeSchema()) {
            throw new DbConfigException("verifyAfterBackup (BACKUP_VERIFY) = restore-drill needs includeSchema "
                    + "(BACKUP_INCLUDE_SCHEMA) = true: a data-only backup cannot be restored into an empty database");
        }
        if (config.remote().isEmpty() && (config.encryptionKeyFile().isPresent() || config.remoteEndpoint().isPresent())) {
            throw new DbConfigException((config.encryptionKeyFile().isPresent() ? "encryptionKeyFile (BACKUP_ENCRYPTION_KEY_FILE)"
                    : "remoteEndpoint (BACKUP_REMOTE_ENDPOINT)") + " is set but remote (BACKUP_REMOTE) is not: it applies to the "
                    + "copies in a remote repository only (local backups stay in BACKUP_DIR as pg_dump wrote them); set "
                    + "BACKUP_REMOTE=s3://<bucket>[/<prefix>] or unset it");
        }
        if (config.remote().isPresent() && config.encryptionKeyFile().isEmpty() && !config.remoteAllowPlaintext()) {
            throw new DbConfigException("remote (BACKUP_REMOTE) is set without encryptionKeyFile (BACKUP_ENCRYPTION_KEY_FILE): "
                    + "the copies would leave this machine in clear, readable by whoever can read the bucket, and whoever can "
                    + "write to it could replace an archive or globals file that a restore then loads; make a key (openssl rand "
                    + "-hex 32 > backup.key && chmod 600 backup.key) and set BACKUP_ENCRYPTION_KEY_FILE, or set "
                    + "BACKUP_REMOTE_ALLOW_PLAINTEXT=true to copy them unencrypted on purpose");
        }
        checkPitr(config);
    }

    private static void checkPitr(BackupConfig config) {
        if (config.pitr() && config.pitrRepoPath().isEmpty()) {
            throw new DbConfigException("pitr (BACKUP_PITR) is true but pitrRepoPath (BACKUP_PITR_REPO_PATH) is unset: name the "
                    + "folder pgBackRest keeps base backups and archived WAL in, as an absolute path off the data directory's disk");
        }
        if (config.pitrStandbyDir().isPresent() != (config.pitrStandbyPort() != 0)) {
            throw new DbConfigException("pitrStandbyDir (BACKUP_PITR_STANDBY_DIR) and pitrStandbyPort (BACKUP_PITR_STANDBY_PORT) "
                    + "name one standby together: set both (its data directory and port) or neither");
        }
        if (config.pitr() && config.remote().isPresent()) {
            if (config.pitrCipherKeyFile().isEmpty()) {
                throw new DbConfigException("pitr (BACKUP_PITR) with remote (BACKUP_REMOTE) archives WAL and base backups into the "
                        + "bucket too, always encrypted: set pitrCipherKeyFile (BACKUP_PITR_CIPHER_KEY_FILE) to a file holding a "
                        + "passphrase of at least 20 characters (openssl rand -base64 48 > pitr.key && chmod 600 pitr.key)");
            }
            config.remoteEndpoint().filter(u -> !"https".equalsIgnoreCase(u.getScheme())).ifPresent(u -> {
                throw new DbConfigException("pitr (BACKUP_PITR) with remote (BACKUP_REMOTE): pgBackRest reaches S3 over TLS only, "
                        + "so remoteEndpoint (BACKUP_REMOTE_ENDPOINT) must be an https:// URL, was " + u);
            });
        }
        if (config.pitrRemoteCaFile().isPresent() && (!config.pitr() || config.remote().isEmpty())) {
            throw new DbConfigException("pitrRemoteCaFile (BACKUP_PITR_REMOTE_CA_FILE) is set but is used only with pitr (BACKUP_PITR) "
                    + "and remote (BACKUP_REMOTE) both set; set them or unset it");
        }
        Path work = config.pitrWorkDir();
        config.pitrRepoPath().filter(repo -> repo.startsWith(work) || work.startsWith(repo)).ifPresent(repo -> {
            throw new DbConfigException("pitrRepoPath (BACKUP_PITR_REPO_PATH, " + repo + ") and pitrWorkDir (BACKUP_PITR_WORK_DIR, "
                    + work + ") must not lie inside one another: pgBackRest checks that its repository holds only its own files");
        });
    }
}
