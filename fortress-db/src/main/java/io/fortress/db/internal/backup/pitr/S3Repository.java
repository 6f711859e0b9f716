package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import io.fortress.db.api.Secret;
import java.nio.file.Path;
import java.util.Optional;

/**
 * pgBackRest's repository 2: an S3-compatible bucket ({@code repo2-type=s3}), reached over TLS only
 * (pgBackRest 2.45 has no plain-HTTP option) with path-style URIs, always encrypted.
 *
 * @param bucket        the bucket, which must exist ({@code repo2-s3-bucket})
 * @param endpoint      the server's host name ({@code repo2-s3-endpoint}); not an IP address, which pgBackRest cannot match against a certificate
 * @param port          its HTTPS port ({@code repo2-storage-port})
 * @param region        the region ({@code repo2-s3-region})
 * @param path          the repository's folder inside the bucket ({@code repo2-path})
 * @param caFile        the certificate authority to trust ({@code repo2-storage-ca-file}), empty for the system's
 * @param accessKey     the access key id ({@code repo2-s3-key})
 * @param secretKey     the secret access key ({@code repo2-s3-key-secret})
 * @param retentionFull full backups kept ({@code repo2-retention-full})
 * @param cipherPass    the key of its {@code aes-256-cbc} encryption ({@code repo2-cipher-pass})
 */
public record S3Repository(String bucket, String endpoint, int port, String region, Path path, Optional<Path> caFile,
                           Secret accessKey, Secret secretKey, int retentionFull, Secret cipherPass) {
    /** Checks every value; the message names the option and never shows a secret. */
    public S3Repository {
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new BackupException("repo2-s3-bucket must be an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-'), was '"
                    + bucket + "'");
        }
        Checks.tlsHostName("repo2-s3-endpoint", endpoint);
        Checks.port("repo2-storage-port", port);
        if (region == null || !region.matches("[a-z0-9-]{1,64}")) {
            throw new BackupException("repo2-s3-region must be a region name such as us-east-1, was '" + region + "'");
        }
        Checks.path("repo2-path", path);
        caFile.ifPresent(f -> Checks.path("repo2-storage-ca-file", f));
        Checks.secret("repo2-s3-key", accessKey, 1);
        Checks.secret("repo2-s3-key-secret", secretKey, 1);
        Checks.range("repo2-retention-full", retentionFull, 1, 9_999_999);
        Checks.secret("repo2-cipher-pass", cipherPass, 20);
    }

    @Override
    public String toString() {
        return "S3Repository[bucket=" + bucket + ", endpoint=" + endpoint + ":" + port + ", region=" + region + ", path=" + path
                + ", retentionFull=" + retentionFull + "]";
    }
}
