package io.fortress.db.internal.backup.pitr;

import java.time.Instant;
import java.util.Optional;

/**
 * One base backup in a pgBackRest repository, as {@code pgbackrest info --output=json} describes it.
 *
 * @param label          pgBackRest's label, e.g. {@code 20261207-101500F} or {@code 20261207-101500F_20261207-111500I}
 * @param type           full, diff or incr
 * @param repository     the repository holding it (1 local, 2 S3)
 * @param started        when the backup started
 * @param stopped        when it stopped: the earliest moment it can be restored to
 * @param lsnStart       WAL position where it started
 * @param lsnStop        WAL position where it became consistent
 * @param walStart       first WAL segment it needs
 * @param walStop        last WAL segment it needs
 * @param size           size of the database it copied, in bytes
 * @param repositorySize bytes it takes in the repository (compressed, and only what changed for diff and incr)
 * @param prior          the backup it builds on (diff and incr)
 * @param pageErrors     whether pgBackRest found page checksum errors in the copied files (the server's data was damaged
 *                       when it was taken; it restores, but holds the damage)
 */
public record BaseBackup(String label, String type, int repository, Instant started, Instant stopped, String lsnStart, String lsnStop,
                         String walStart, String walStop, long size, long repositorySize, Optional<String> prior,
                         boolean pageErrors) {
}
