package io.fortress.db.backup;

import java.util.Locale;
import java.util.Optional;

/**
 * How pg_dump compresses table data: {@code BACKUP_COMPRESSION=true|false}, a gzip level
 * {@code 0..9}, or a method with an optional level ({@code gzip:6}, {@code lz4}, {@code zstd:3},
 * {@code none}). lz4 and zstd need pg_dump 16 or newer; that is checked against the chosen client
 * before any file is written.
 *
 * @param method the algorithm
 * @param level  the level, or null for the method's default
 */
public record Compression(Method method, Integer level) {

    /** Compression algorithms of pg_dump's {@code -Z}. */
    public enum Method {
        NONE(0, 0, 0), GZIP(1, 9, 0), LZ4(1, 12, 16), ZSTD(1, 22, 16);

        private final int minLevel;
        private final int maxLevel;
        private final int sinceMajor;

        Method(int minLevel, int maxLevel, int sinceMajor) {
            this.minLevel = minLevel;
            this.maxLevel = maxLevel;
            this.sinceMajor = sinceMajor;
        }

        String spelling() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** pg_dump's default: gzip at its default level. */
    public static final Compression DEFAULT = new Compression(Method.GZIP, null);
    /** No compression. */
    public static final Compression NONE = new Compression(Method.NONE, null);

    /** What {@link #parse} accepts, for messages and the settings table. */
    public static final String ACCEPTED = "true (gzip), false or none, a gzip level 0-9, or gzip[:1-9], lz4[:1-12], zstd[:1-22]"
            + " (lz4 and zstd need pg_dump 16+)";

    public Compression {
        if (method == null) {
            throw new IllegalArgumentException("no compression method");
        }
        if (level != null && (method == Method.NONE || level < method.minLevel || level > method.maxLevel)) {
            throw new IllegalArgumentException(method.spelling() + " takes "
                    + (method == Method.NONE ? "no level" : "a level from " + method.minLevel + " to " + method.maxLevel)
                    + ", not " + level);
        }
    }

    /**
     * Parses the setting's text.
     *
     * @throws IllegalArgumentException saying what is wrong and what is accepted
     */
    public static Compression parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        switch (s) {
            case "true":
                return DEFAULT;
            case "false":
            case "none":
            case "0":
                return NONE;
            default:
                break;
        }
        if (s.matches("[1-9]")) {
            return new Compression(Method.GZIP, Integer.parseInt(s));
        }
        String name = s;
        Integer level = null;
        int colon = s.indexOf(':');
        if (colon >= 0) {
            name = s.substring(0, colon);
            String digits = s.substring(colon + 1);
            if (!digits.matches("\\d{1,3}")) {
                throw new IllegalArgumentException("'" + text + "' has a level that is not a number");
            }
            level = Integer.parseInt(digits);
        }
        for (Method m : Method.values()) {
            if (m != Method.NONE && m.spelling().equals(name)) {
                return new Compression(m, level);
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a compression setting");
    }

    /**
     * The value of pg_dump's {@code --compress} for a client of the given major version; empty for
     * pg_dump's own default (gzip). Integer levels are used where they mean the same on every version.
     *
     * @throws BackupException when the client is too old for the method
     */
    public Optional<String> pgDumpArgument(int clientMajor, String client) {
        if (clientMajor < method.sinceMajor) {
            throw new BackupException("compression " + this + " needs pg_dump " + method.sinceMajor + " or newer, but the chosen "
                    + client + " is older; use gzip or none (COMPRESSION=true, false or 0-9), or install newer client tools");
        }
        return switch (method) {
            case NONE -> Optional.of("0");
            case GZIP -> level == null ? Optional.empty() : Optional.of(Integer.toString(level));
            case LZ4, ZSTD -> Optional.of(method.spelling() + (level == null ? "" : ":" + level));
        };
    }

    /** The canonical spelling, e.g. {@code gzip}, {@code gzip:9}, {@code zstd:3}, {@code none}. */
    @Override
    public String toString() {
        return method.spelling() + (level == null ? "" : ":" + level);
    }
}
