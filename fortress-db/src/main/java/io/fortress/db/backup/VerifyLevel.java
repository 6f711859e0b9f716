package io.fortress.db.backup;

import java.util.Locale;

/**
 * How deeply a backup is checked. Each level includes the ones before it. Listing the archive's
 * contents alone ({@link #CONTENTS}) proves little: a truncated archive still lists.
 */
public enum VerifyLevel {
    /** Every file's size and SHA-256 match the manifest: catches truncation, bit rot, missing and extra files. */
    CHECKSUMS,
    /** pg_restore reads the archive's table of contents, and it has the manifest's tables. */
    CONTENTS,
    /** pg_restore reads every byte of the archive, decompressing all table data, without a database. */
    FULL_READ,
    /** The backup is restored into a scratch database, row counts are compared with the manifest, and the database is dropped. */
    RESTORE_DRILL;

    /** Spelling in settings and on the command line: {@code checksums}, {@code contents}, {@code full-read}, {@code restore-drill}. */
    @com.fasterxml.jackson.annotation.JsonValue
    public String spelling() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses the spelling of {@link #spelling()} (case-insensitive, {@code _} or {@code -}). */
    public static VerifyLevel parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (VerifyLevel level : values()) {
            if (level.spelling().equals(s)) {
                return level;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a verification level");
    }

    @Override
    public String toString() {
        return spelling();
    }
}
