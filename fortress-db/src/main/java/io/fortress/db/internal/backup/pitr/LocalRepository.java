package io.fortress.db.internal.backup.pitr;

import io.fortress.db.api.Secret;
import java.nio.file.Path;
import java.util.Optional;

/**
 * pgBackRest's repository 1: a folder on this host ({@code repo1-type=posix}).
 *
 * @param path           the repository folder ({@code repo1-path}); it must be kept off the data directory's disk to survive its loss
 * @param retentionFull  full backups kept ({@code repo1-retention-full}); WAL older than the oldest is expired with them
 * @param retentionDiff  differential backups kept ({@code repo1-retention-diff}), empty for pgBackRest's default
 * @param cipherPass     the key of {@code aes-256-cbc} repository encryption, empty for none
 */
public record LocalRepository(Path path, int retentionFull, Optional<Integer> retentionDiff, Optional<Secret> cipherPass) {
    /** Checks every value; the message names the option. */
    public LocalRepository {
        Checks.path("repo1-path", path);
        Checks.range("repo1-retention-full", retentionFull, 1, 9_999_999);
        retentionDiff.ifPresent(d -> Checks.range("repo1-retention-diff", d, 1, 9_999_999));
        cipherPass.ifPresent(p -> Checks.secret("repo1-cipher-pass", p, 20));
    }

    /** An unencrypted repository keeping {@code retentionFull} full backups. */
    public static LocalRepository of(Path path, int retentionFull) {
        return new LocalRepository(path, retentionFull, Optional.empty(), Optional.empty());
    }

    @Override
    public String toString() {
        return "LocalRepository[path=" + path + ", retentionFull=" + retentionFull + ", retentionDiff=" + retentionDiff
                + ", encrypted=" + cipherPass.isPresent() + "]";
    }
}
