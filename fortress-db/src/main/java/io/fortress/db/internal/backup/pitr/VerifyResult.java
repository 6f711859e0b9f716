package io.fortress.db.internal.backup.pitr;

import java.util.List;

/**
 * What {@code pgbackrest verify} found in the repository: the checksum of every backup file and WAL
 * segment recomputed and compared.
 *
 * @param ok       true when it found nothing wrong
 * @param problems pgBackRest's lines naming each bad or missing file or segment
 */
public record VerifyResult(boolean ok, List<String> problems) {
    /** Copies the list. */
    public VerifyResult {
        problems = List.copyOf(problems);
    }
}
