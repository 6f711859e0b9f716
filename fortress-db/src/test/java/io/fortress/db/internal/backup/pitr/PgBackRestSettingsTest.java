package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.db.api.Secret;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Bad pgBackRest settings are refused with a message naming the option and what it accepts, never the secret. */
class PgBackRestSettingsTest {
    private static final Path DATA = Path.of("/var/lib/fortress/primary");
    private static final Secret KEY = Secret.of("s3-secret-key-that-must-not-show");
    private static final Secret PASS = Secret.of("a-cipher-pass-long-enough-to-be-accepted");

    static PgBackRestSettings.Builder valid() {
        return PgBackRestSettings.builder().stanza("main").workDirectory(Path.of("/var/lib/fortress/pgbackrest"))
                .primary(PgInstance.tcp(DATA, 5432, "postgres")).connectHost("127.0.0.1")
                .localRepository(LocalRepository.of(Path.of("/var/backups/pgbackrest"), 2));
    }

    static S3Repository s3(String endpoint, Secret cipherPass) {
        return new S3Repository("fortress-wal", endpoint, 8443, "us-east-1", Path.of("/pgbackrest"), Optional.of(Path.of("/etc/ssl/ca.pem")),
                Secret.of("AKIAEXAMPLE"), KEY, 4, cipherPass);
    }

    @Test
    void validSettingsBuild() {
        PgBackRestSettings s = valid().s3Repository(s3("localhost", PASS)).build();
        assertThat(s.configFile()).isEqualTo(Path.of("/var/lib/fortress/pgbackrest/pgbackrest.conf"));
        assertThat(s.toString()).contains("main").doesNotContain(KEY.reveal()).doesNotContain(PASS.reveal()).doesNotContain("AKIAEXAMPLE");
    }

    @Test
    void badValuesAreNamed() {
        refused(b -> b.stanza("bad stanza"), "stanza must be 1 to 64 letters");
        refused(b -> b.stanza(null), "stanza must be");
        refused(b -> b.lockPath(Path.of("relative/lock")), "lock-path must be an absolute, normalized path");
        refused(b -> b.logPath(Path.of("/var/log/with space")), "log-path must be an absolute");
        refused(b -> b.spoolPath(Path.of("/var/spool/../etc")), "spool-path must be an absolute, normalized path");
        refused(b -> b.spoolPath(Path.of("/var/spool/$(reboot)")), "spool-path must be");
        refused(b -> b.compressType("rar"), "compress-type must be one of [bz2, gz, lz4, none, zst], was 'rar'");
        refused(b -> b.processMax(0), "process-max must be between 1 and 999, was 0");
        refused(b -> b.archiveTimeout(java.time.Duration.ZERO), "archive-timeout must be between 100ms and 24h");
        refused(b -> b.primary(null), "the primary (pg1) is required");
        refused(b -> b.localRepository(null), "the local repository (repo1) is required");
        refused(b -> b.backupStandby(true), "backup-standby needs a standby (pg2)");
        refused(b -> b.standby(PgInstance.tcp(Path.of("/var/lib/fortress/standby"), 5432, "postgres")), "must be another server than the primary");
        refused(b -> b.localRepository(LocalRepository.of(DATA.resolve("repo"), 1)), "repo1-path (" + DATA.resolve("repo")
                + ") must lie outside the data directory");
        refused(b -> b.connectHost(null), "give the host pgBackRest connects to (PGHOST)");
    }

    @Test
    void badServersAndRepositoriesAreNamed() {
        assertThatThrownBy(() -> PgInstance.tcp(DATA, 70000, "postgres")).hasMessage("pg-port must be between 1 and 65535, was 70000");
        assertThatThrownBy(() -> PgInstance.tcp(DATA, 5432, "rob'ert")).hasMessageContaining("pg-user must be a plain PostgreSQL role name");
        assertThatThrownBy(() -> LocalRepository.of(Path.of("/r"), 0)).hasMessage("repo1-retention-full must be between 1 and 9999999, was 0");
        assertThatThrownBy(() -> s3("127.0.0.1", PASS)).hasMessageContaining("repo2-s3-endpoint must be a host name, not the IP address 127.0.0.1")
                .hasMessageContaining("DNS:localhost");
        assertThatThrownBy(() -> s3("bad_host!", PASS)).hasMessageContaining("repo2-s3-endpoint must be a host name");
        assertThatThrownBy(() -> new S3Repository("Bad_Bucket", "localhost", 443, "us-east-1", Path.of("/p"), Optional.empty(),
                Secret.of("k"), KEY, 1, PASS)).hasMessageContaining("repo2-s3-bucket must be an S3 bucket name");
        assertThatThrownBy(() -> new S3Repository("bucket", "localhost", 443, "US East", Path.of("/p"), Optional.empty(),
                Secret.of("k"), KEY, 1, PASS)).hasMessageContaining("repo2-s3-region must be a region name");
    }

    @Test
    void badSecretsAreRefusedWithoutBeingShown() {
        Secret shortPass = Secret.of("short-pass");
        assertThatThrownBy(() -> s3("localhost", shortPass)).hasMessage("repo2-cipher-pass must be at least 20 characters long "
                + "(e.g. the output of openssl rand -base64 48), was 10").hasMessageNotContaining(shortPass.reveal());
        Secret injected = Secret.of("a-long-enough-pass-but\nrepo1-path=/elsewhere");
        assertThatThrownBy(() -> s3("localhost", injected)).hasMessage("repo2-cipher-pass must be a single line without control "
                + "characters or surrounding spaces");
        Secret badKey = Secret.of("key\nwith-newline");
        assertThatThrownBy(() -> new S3Repository("bucket", "localhost", 443, "us-east-1", Path.of("/p"), Optional.empty(),
                Secret.of("k"), badKey, 1, PASS)).hasMessage("repo2-s3-key-secret must be a single line without control characters "
                + "or surrounding spaces");
        assertThatThrownBy(() -> new LocalRepository(Path.of("/r"), 1, Optional.empty(), Optional.of(shortPass)))
                .hasMessageStartingWith("repo1-cipher-pass must be at least 20 characters long");
    }

    private static void refused(Consumer<PgBackRestSettings.Builder> change, String message) {
        PgBackRestSettings.Builder b = valid();
        change.accept(b);
        assertThatThrownBy(b::build).isInstanceOf(BackupException.class).hasMessageContaining(message);
    }
}
