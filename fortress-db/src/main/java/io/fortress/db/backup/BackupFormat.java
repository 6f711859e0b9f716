package io.fortress.db.backup;

import java.util.Locale;

/** The pg_dump archive format of a backup. */
public enum BackupFormat {
    /** One file ({@code pg_dump -Fc}): the default; restores in parallel, dumps with one job. */
    CUSTOM("c", ".dump"),
    /** A folder with one file per table ({@code pg_dump -Fd}): the only format pg_dump can write in parallel. */
    DIRECTORY("d", ".dir");

    private final String flag;
    private final String suffix;

    BackupFormat(String flag, String suffix) {
        this.flag = flag;
        this.suffix = suffix;
    }

    /** pg_dump's {@code --format} letter. */
    public String flag() {
        return flag;
    }

    /** The suffix of the archive's name in the backup folder. */
    public String suffix() {
        return suffix;
    }

    /** Lower-case name as settings, manifests and JSON spell it. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code custom} or {@code directory} (case-insensitive). */
    public static BackupFormat parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (BackupFormat f : values()) {
            if (f.spelling().equals(s)) {
                return f;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a backup format");
    }

    @Override
    public String toString() {
        return spelling();
    }
}
