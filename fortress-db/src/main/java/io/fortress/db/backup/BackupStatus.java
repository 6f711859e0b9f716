package io.fortress.db.backup;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The state a backup's manifest records. Only completed and verified backups count as good. */
public enum BackupStatus {
    /** Written, fsynced and checksummed; not verified beyond that. */
    COMPLETED,
    /** Passed a verification (the manifest records the level and when). */
    VERIFIED,
    /** Failed a verification: never restored without checks, never counted by retention. */
    CORRUPT;

    /** True for backups retention may rely on. */
    public boolean isGood() {
        return this != CORRUPT;
    }

    @JsonValue
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    static BackupStatus parse(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return spelling();
    }
}
