package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.db.api.DbConfigException;
import io.fortress.db.api.Setting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackupConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        BackupConfig c = BackupConfig.builder().build();
        assertThat(c.backupDir()).isEqualTo(Path.of("/var/backups/postgres"));
        assertThat(c.retentionDays()).isEqualTo(7);
        assertThat(c.compression()).isEqualTo(Compression.DEFAULT);
        assertThat(c.includeSchema()).isTrue();
        assertThat(c.includeData()).isTrue();
        assertThat(c.customFormat()).isTrue();
        assertThat(c.verifyAfterBackup()).contains(VerifyLevel.FULL_READ);
        assertThat(c.interval()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void readsTheBackupVariablesAndOurs() {
        BackupConfig c = BackupConfig.fromEnv(Map.of("BACKUP_DIR", "/srv/backups", "RETENTION_DAYS", "14", "COMPRESSION", "false",
                "PARALLEL_JOBS", "4", "BACKUP_FORMAT", "directory", "BACKUP_VERIFY", "restore-drill", "BACKUP_KEEP_WEEKLY", "4",
                "FORTRESS_BACKUP_INTERVAL", "12h", "PG_BIN", "/usr/lib/postgresql/16/bin"));
        assertThat(c.backupDir()).isEqualTo(Path.of("/srv/backups"));
        assertThat(c.retentionDays()).isEqualTo(14);
        assertThat(c.compression()).isEqualTo(Compression.NONE);
        assertThat(c.parallelJobs()).isEqualTo(4);
        assertThat(c.format()).isEqualTo(BackupFormat.DIRECTORY);
        assertThat(c.verifyAfterBackup()).contains(VerifyLevel.RESTORE_DRILL);
        assertThat(c.keepWeekly()).isEqualTo(4);
        assertThat(c.interval()).isEqualTo(Duration.ofHours(12));
        assertThat(c.pgBin()).contains(Path.of("/usr/lib/postgresql/16/bin"));
    }

    @Test
    void refusesBadValuesNamingTheVariableAndWhatIsAccepted() {
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("COMPRESSION", "brotli")))
                .isInstanceOf(DbConfigException.class).hasMessageContaining("COMPRESSION=brotli is invalid")
                .hasMessageContaining("lz4[:1-12]");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("COMPRESSION", "gzip:12"))).hasMessageContaining("gzip takes a level from 1 to 9");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("RETENTION_DAYS", "-1"))).hasMessageContaining("an integer from 0 to 36500");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_LOCK_WAIT_TIMEOUT", "500us")))
                .as("pg_dump takes whole milliseconds: 500us would become 0, no limit").hasMessageContaining("in whole milliseconds");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_FORMAT", "tar"))).hasMessageContaining("custom or directory");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_FREE_SPACE_MARGIN", "0.5")))
                .hasMessageContaining("BACKUP_FREE_SPACE_MARGIN=0.5 is invalid").hasMessageContaining("0 (no check) or a number of at least 1");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_FREE_SPACE_MARGIN", "lots"))).hasMessageContaining("'lots' is not a number");
        assertThat(BackupConfig.fromEnv(Map.of("BACKUP_FREE_SPACE_MARGIN", "0")).freeSpaceMargin()).isZero();
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_VERIFY", "list"))).hasMessageContaining("none, checksums");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_MIN_KEEP", "0"))).hasMessageContaining("BACKUP_MIN_KEEP=0");
        assertThatThrownBy(() -> BackupConfig.builder().includeData(false).includeSchema(false).build())
                .hasMessageContaining("a backup would hold nothing");
    }

    @Test
    void verificationIsParsedOnceAndShownAsSpelled() {
        assertThat(BackupConfig.fromEnv(Map.of("BACKUP_VERIFY", "NONE")).verifyAfterBackup()).isEmpty();
        assertThat(BackupConfig.fromEnv(Map.of("BACKUP_VERIFY", "Full_Read")).verifyAfterBackup()).contains(VerifyLevel.FULL_READ);
        assertThat(BackupConfig.builder().verifyAfterBackup(null).build().toString()).contains("verifyAfterBackup=none");
        assertThat(BackupConfig.builder().build().toString()).contains("verifyAfterBackup=full-read");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_VERIFY", "list")))
                .hasMessageStartingWith("BACKUP_VERIFY=list is invalid: expected none, checksums, contents, full-read or restore-drill");
    }

    @Test
    void compressionMapsToArgumentsTheClientAccepts() {
        assertThat(Compression.parse("true").pgDumpArgument(15, "pg_dump 15")).isEmpty();
        assertThat(Compression.parse("0").pgDumpArgument(15, "pg_dump 15")).contains("0");
        assertThat(Compression.parse("gzip:9").pgDumpArgument(15, "pg_dump 15")).contains("9");
        assertThat(Compression.parse("zstd:3").pgDumpArgument(16, "pg_dump 16")).contains("zstd:3");
        assertThatThrownBy(() -> Compression.parse("lz4").pgDumpArgument(15, "pg_dump 15.18 in /usr/lib/postgresql/15/bin"))
                .hasMessageContaining("lz4 needs pg_dump 16 or newer, but the chosen pg_dump 15.18");
    }

    @Test
    void pointInTimeRecoveryIsOffByDefaultAndItsSettingsAreCheckedNamingThem() {
        BackupConfig off = BackupConfig.fromEnv(Map.of("BACKUP_DIR", "/srv/backups"));
        assertThat(off.pitr()).isFalse();
        assertThat(off.pitrWorkDir()).isEqualTo(Path.of("/srv/backups/pgbackrest"));
        assertThat(off.pitrStanza()).isEqualTo("main");
        assertThat(off.pitrRetentionFull()).isEqualTo(2);
        BackupConfig on = BackupConfig.fromEnv(Map.of("BACKUP_PITR", "true", "BACKUP_PITR_REPO_PATH", "/srv/pgbackrest",
                "BACKUP_PITR_RETENTION_FULL", "4", "BACKUP_PITR_CIPHER_KEY_FILE", "/etc/fortress/pitr.key", "BACKUP_PITR_PROCESS_MAX", "3",
                "BACKUP_PITR_STANDBY_DIR", "/var/lib/postgresql/16/standby", "BACKUP_PITR_STANDBY_PORT", "5433"));
        assertThat(on.pitrRepoPath()).contains(Path.of("/srv/pgbackrest"));
        assertThat(on.pitrRetentionFull()).isEqualTo(4);
        assertThat(on.pitrCipherKeyFile()).contains(Path.of("/etc/fortress/pitr.key"));
        assertThat(on.pitrProcessMax()).isEqualTo(3);
        assertThat(on.pitrStandbyDir()).contains(Path.of("/var/lib/postgresql/16/standby"));
        assertThat(on.pitrStandbyPort()).isEqualTo(5433);
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR", "true"))).isInstanceOf(DbConfigException.class)
                .hasMessageContaining("BACKUP_PITR_REPO_PATH) is unset");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR_REPO_PATH", "relative/repo")))
                .hasMessageContaining("BACKUP_PITR_REPO_PATH=relative/repo is invalid").hasMessageContaining("an absolute folder path");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR_STANZA", "a b"))).hasMessageContaining("BACKUP_PITR_STANZA");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR_PROCESS_MAX", "0")))
                .hasMessageContaining("BACKUP_PITR_PROCESS_MAX=0").hasMessageContaining("an integer from 1 to 999");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR_DRILL_INTERVAL", "30s")))
                .hasMessageContaining("BACKUP_PITR_DRILL_INTERVAL=30s").hasMessageContaining("0 (no scheduled drills) or a duration of at least 1m");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR_FULL_INTERVAL", "0")))
                .hasMessageContaining("BACKUP_PITR_FULL_INTERVAL=0").hasMessageContaining("a duration of at least 1m");
        assertThat(BackupConfig.fromEnv(Map.of("BACKUP_PITR_DRILL_INTERVAL", "0")).pitrDrillInterval()).isZero();
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR_STANDBY_PORT", "5433")))
                .hasMessageContaining("BACKUP_PITR_STANDBY_DIR").hasMessageContaining("set both");
        assertThatThrownBy(() -> BackupConfig.fromEnv(Map.of("BACKUP_PITR", "true", "BACKUP_PITR_REPO_PATH", "/srv/b/pgbackrest/repo",
                "BACKUP_DIR", "/srv/b"))).hasMessageContaining("must not lie inside one another");
    }

    /** docs/configuration.md lists exactly the settings of BackupSettings, in order, with defaults and accepted values. */
    @Test
    void theConfigurationPageListsEveryBackupSetting() throws Exception {
        List<String> rows = io.fortress.db.DocsTest.tableRows(io.fortress.db.DocsTest.CONFIGURATION, "## Backup settings");
        assertThat(rows).hasSize(BackupSettings.ALL.size());
        for (int i = 0; i < rows.size(); i++) {
            Setting<?> s = BackupSettings.ALL.get(i);
            Object d = s.defaultValue();
            String shown = d == null ? "(unset)" : s.display(d);
            String expectedDefault = shown.startsWith("(") ? shown : "`" + shown + "`";
            assertThat(rows.get(i)).isEqualTo("| `" + s.variable() + "` | `" + s.name() + "` | " + expectedDefault + " | "
                    + s.accepted() + " | " + s.description() + " |");
        }
    }
}
