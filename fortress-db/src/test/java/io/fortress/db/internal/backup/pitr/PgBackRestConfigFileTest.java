package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** pgbackrest.conf as fortress writes it, and as it prints it for a person (without the keys). */
class PgBackRestConfigFileTest {
    @Test
    void rendersEveryOptionWithTheKeysOnlyWhenAsked() {
        PgBackRestSettings s = PgBackRestSettingsTest.valid()
                .standby(PgInstance.tcp(java.nio.file.Path.of("/var/lib/fortress/standby"), 5433, "postgres")).backupStandby(true)
                .s3Repository(PgBackRestSettingsTest.s3("localhost", io.fortress.db.api.Secret.of("cipher-pass-of-sufficient-length")))
                .build();
        String withKeys = PgBackRestConfigFile.render(s, true);
        assertThat(withKeys).contains("[global]\n", "lock-path=/var/lib/fortress/pgbackrest/lock\n", "spool-path=/var/lib/fortress/pgbackrest/spool\n",
                "archive-async=y\n", "compress-type=lz4\n", "process-max=2\n", "start-fast=y\n", "backup-standby=y\n", "archive-timeout=60\n",
                "repo1-type=posix\n", "repo1-path=/var/backups/pgbackrest\n", "repo1-retention-full=2\n",
                "repo2-type=s3\n", "repo2-s3-bucket=fortress-wal\n", "repo2-s3-endpoint=localhost\n", "repo2-storage-port=8443\n",
                "repo2-s3-region=us-east-1\n", "repo2-s3-uri-style=path\n", "repo2-storage-ca-file=/etc/ssl/ca.pem\n", "repo2-path=/pgbackrest\n",
                "repo2-retention-full=4\n", "repo2-cipher-type=aes-256-cbc\n", "repo2-cipher-pass=cipher-pass-of-sufficient-length\n",
                "repo2-s3-key-secret=s3-secret-key-that-must-not-show\n",
                "\n[main]\n", "pg1-path=/var/lib/fortress/primary\n", "pg1-port=5432\n", "pg1-user=postgres\n",
                "pg2-path=/var/lib/fortress/standby\n", "pg2-port=5433\n");
        assertThat(withKeys).doesNotContain("repo1-cipher").doesNotContain("socket-path");

        String printed = PgBackRestConfigFile.render(s, false);
        assertThat(printed).doesNotContain("cipher-pass-of-sufficient-length").doesNotContain("s3-secret-key-that-must-not-show")
                .doesNotContain("AKIAEXAMPLE")
                .contains("# repo2-cipher-pass=<secret: write it here in a 0600 file, or set PGBACKREST_REPO2_CIPHER_PASS")
                .contains("# repo2-s3-key-secret=<secret: write it here in a 0600 file, or set PGBACKREST_REPO2_S3_KEY_SECRET");
    }

    @Test
    void theArchiveCommandNamesTheConfigurationAndStanza() {
        PgBackRestSettings s = PgBackRestSettingsTest.valid().build();
        PgBackRest pgbackrest = new PgBackRest(s, java.nio.file.Path.of("/usr/bin/pgbackrest"));
        assertThat(pgbackrest.archiveCommand())
                .isEqualTo("/usr/bin/pgbackrest --config=/var/lib/fortress/pgbackrest/pgbackrest.conf --stanza=main archive-push %p");
    }

    @Test
    void restoreTargetsBecomePgBackRestOptions() {
        assertThat(RestoreTarget.latest().options()).containsExactly("--type=default");
        assertThat(RestoreTarget.time(java.time.Instant.parse("2026-12-07T10:15:00.123456Z")).options())
                .containsExactly("--type=time", "--target=2026-12-07 10:15:00.123456+00", "--target-action=promote");
        assertThat(RestoreTarget.lsn("0/3000060").options()).containsExactly("--type=lsn", "--target=0/3000060", "--target-action=promote");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RestoreTarget.lsn("0/3000060; DROP"))
                .isInstanceOf(BackupException.class).hasMessageContaining("is not a WAL position");
    }
}
