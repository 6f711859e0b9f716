package io.fortress.db.backup;

import java.time.Instant;
import java.util.Optional;

/**
 * One physical base backup in the point-in-time recovery repository.
 *
 * @param label          pgBackRest's label, e.g. {@code 20261207-101500F} or {@code 20261207-101500F_20261207-111500I}
 * @param type           full, diff or incr
 * @param repository     the repository holding it (1: BACKUP_PITR_REPO_PATH)
 * @param started        when it started
 * @param stopped        when it became consistent: the earliest moment it can be restored to
 * @param lsnStart       WAL position where it started
 * @param lsnStop        WAL position where it became consistent
 * @param size           bytes of the cluster it copied
 * @param repositorySize bytes it takes in the repository (compressed; for diff and incr only what changed)
 * @param prior          the backup it builds on (diff and incr)
 * @param pageErrors     whether page checksum errors were found in the copied files (the server's data was damaged when taken)
 */
public record BaseBackupInfo(String label, BaseBackupType type, int repository, Instant started, Instant stopped, String lsnStart,
                             String lsnStop, long size, long repositorySize, Optional<String> prior, boolean pageErrors) {
}
