package io.fortress.db.internal.backup.pitr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** pgbackrest info's JSON, read and checked: the shape pgBackRest 2.45 prints, and hostile variations of it. */
class InfoParserTest {
    private static final String INFO = """
            [{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000010000000000000009","min":"000000010000000000000003"}],
              "backup":[
                {"archive":{"start":"000000010000000000000004","stop":"000000010000000000000004"},"backrest":{"format":5,"version":"2.45"},
                 "database":{"id":1,"repo-key":1},"error":false,
                 "info":{"delta":31000000,"repository":{"delta":4000000,"size":4000000},"size":31000000},
                 "label":"20261207-101500F","lsn":{"start":"0/4000028","stop":"0/4000100"},"prior":null,"reference":null,
                 "timestamp":{"start":1796638500,"stop":1796638503},"type":"full"},
                {"archive":{"start":"000000010000000000000007","stop":"000000010000000000000007"},"backrest":{"format":5,"version":"2.45"},
                 "database":{"id":1,"repo-key":1},"error":false,
                 "info":{"delta":200000,"repository":{"delta":30000,"size":4000000},"size":31000000},
                 "label":"20261207-101500F_20261207-111500I","lsn":{"start":"0/7000028","stop":"0/7000138"},"prior":"20261207-101500F",
                 "reference":["20261207-101500F"],"timestamp":{"start":1796642100,"stop":1796642102},"type":"incr"}],
              "cipher":"aes-256-cbc","db":[{"id":1,"repo-key":1,"system-id":7300000000000000000,"version":"15"}],"name":"main",
              "repo":[{"cipher":"aes-256-cbc","key":1,"status":{"code":0,"message":"ok"}}],
              "status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}]
            """;

    @Test
    void readsBackupsAndTheRestorableWindow() {
        BackupInventory inventory = InfoParser.parse("main", INFO);
        assertThat(inventory.statusCode()).isZero();
        assertThat(inventory.backups()).extracting(BaseBackup::label).containsExactly("20261207-101500F", "20261207-101500F_20261207-111500I");
        BaseBackup full = inventory.backups().get(0);
        assertThat(full.type()).isEqualTo("full");
        assertThat(full.stopped()).isEqualTo(Instant.ofEpochSecond(1796638503));
        assertThat(full.lsnStop()).isEqualTo("0/4000100");
        assertThat(full.size()).isEqualTo(31000000);
        assertThat(full.repositorySize()).isEqualTo(4000000);
        assertThat(inventory.backups().get(1).prior()).contains("20261207-101500F");
        assertThat(inventory.restorableFrom()).contains(Instant.ofEpochSecond(1796638503));
        assertThat(inventory.oldestWal()).contains("000000010000000000000003");
        assertThat(inventory.newestWal()).contains("000000010000000000000009");
        assertThat(inventory.restorableUpToLsn()).contains("0/A000000");
    }

    @Test
    void anEmptyStanzaHasNoWindow() {
        BackupInventory inventory = InfoParser.parse("main",
                "[{\"archive\":[],\"backup\":[],\"name\":\"main\",\"status\":{\"code\":2,\"message\":\"no valid backups\"}}]");
        assertThat(inventory.statusMessage()).isEqualTo("no valid backups");
        assertThat(inventory.restorableFrom()).isEmpty();
        assertThat(inventory.restorableUpToLsn()).isEmpty();
    }

    @Test
    void rawControlCharactersInAMessageAreNeutralised() {
        String json = "[{\"backup\":[],\"name\":\"main\",\"status\":{\"code\":99,\"message\":\"other\"},"
                + "\"repo\":[{\"key\":1,\"status\":{\"code\":99,\"message\":\"[FormatError] bad \u001d\u0001 bytes\"}}]}]";
        BackupInventory inventory = InfoParser.parse("main", json);
        assertThat(inventory.statusCode()).isEqualTo(99);
        assertThat(inventory.statusMessage()).isEqualTo("other; repo1: [FormatError] bad ?? bytes");
    }

    @Test
    void hostileOrBrokenOutputIsRefusedNamingWhatIsWrong() {
        assertThatThrownBy(() -> InfoParser.parse("main", "not json")).hasMessageStartingWith("cannot read pgbackrest info's output: it is not JSON");
        assertThatThrownBy(() -> InfoParser.parse("main", "{}")).hasMessageContaining("expected a list of stanzas");
        assertThatThrownBy(() -> InfoParser.parse("other", INFO)).hasMessageContaining("stanza other is not in it");
        assertThatThrownBy(() -> InfoParser.parse("main", INFO.replace("20261207-101500F\",\"lsn", "../../etc/passwd\",\"lsn")))
                .hasMessageContaining("the backup label is '../../etc/passwd', not of the expected form");
        assertThatThrownBy(() -> InfoParser.parse("main", INFO.replace("\"0/4000100\"", "\"0/4000100; DROP\"")))
                .hasMessageContaining("stop LSN of 20261207-101500F");
        assertThatThrownBy(() -> InfoParser.parse("main", INFO.replace("000000010000000000000009", "00000001.history")))
                .hasMessageContaining("'00000001.history' is not a WAL segment name");
        assertThatThrownBy(() -> InfoParser.parse("main", INFO.replace("\"type\":\"incr\"", "\"type\":\"snapshot\"")))
                .hasMessageContaining("unknown type 'snapshot'");
        assertThatThrownBy(() -> InfoParser.parse("main", INFO.replace("\"stop\":1796638503", "\"stop\":\"soon\"")))
                .hasMessageContaining("backup 20261207-101500F has no valid timestamp");
        assertThatThrownBy(() -> InfoParser.parse("main", INFO.replace("\"size\":31000000}", "\"size\":-1}")))
                .hasMessageContaining("has no valid size");
    }

    @Test
    void aBackupWithPageChecksumErrorsSaysSo() {
        BackupInventory inventory = InfoParser.parse("main", INFO.replaceFirst("\"error\":false", "\"error\":true"));
        assertThat(inventory.backups()).extracting(BaseBackup::pageErrors).containsExactly(true, false);
    }

    @Test
    void walSegmentsCompareByTimelineAndPosition() {
        assertThat(WalSegment.reached("000000010000000100000000", "0000000100000000000000FF")).isTrue();
        assertThat(WalSegment.reached("0000000100000000000000FF", "000000010000000100000000")).isFalse();
        assertThat(WalSegment.reached("000000020000000000000005", "000000010000000000000005")).isTrue();
        assertThat(WalSegment.endLsn("000000010000000100000000")).contains(0x1_0100_0000L);
        assertThat(WalSegment.isSegment("000000010000000000000003.00000028.backup")).isFalse();
    }
}
