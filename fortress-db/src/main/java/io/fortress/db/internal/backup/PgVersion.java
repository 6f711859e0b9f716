package io.fortress.db.internal.backup;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL version as a tool's {@code --version} or the server reports it. Majors compare the
 * way PostgreSQL numbers them: {@code 9.6} before {@code 10}, {@code 15} before {@code 16}.
 *
 * @param num  the version as {@code server_version_num} counts it: 150018 for 15.18, 90624 for 9.6.24, 170000 for 17beta1
 * @param text the version as printed, e.g. {@code 15.18 (Debian 15.18-0+deb12u1)}
 */
public record PgVersion(int num, String text) {
    private static final Pattern TOOL_OUTPUT = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");
    private static final Pattern LEADING = Pattern.compile("^\\s*(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");

    /**
     * Parses a tool's {@code --version} line, e.g. {@code pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)},
     * {@code pg_dump (PostgreSQL) 17beta1} or {@code pg_dump (PostgreSQL) 9.6.24}.
     */
    public static PgVersion parseToolOutput(String output) {
        String line = output == null ? "" : output.strip();
        Matcher m = TOOL_OUTPUT.matcher(line);
        if (!m.find()) {
            throw new IllegalArgumentException("not a PostgreSQL tool version: '" + line + "'");
        }
        return new PgVersion(num(m), line.substring(m.start(1)));
    }

    /** Parses a version text such as {@code 15.18 (Debian ...)} (the server's {@code server_version}, or an archive header's). */
    public static PgVersion parseVersionText(String text) {
        Matcher m = LEADING.matcher(text == null ? "" : text);
        if (!m.find()) {
            throw new IllegalArgumentException("not a PostgreSQL version: '" + text + "'");
        }
        return new PgVersion(num(m), text.strip());
    }

    /** From {@code server_version_num} (e.g. 150018, 90624) and {@code server_version}. */
    public static PgVersion ofServer(int versionNum, String text) {
        return new PgVersion(versionNum, text);
    }

    /** Since PostgreSQL 10 the first number is the major and the second the minor; before, the major had two numbers. */
    private static int num(Matcher m) {
        int first = Integer.parseInt(m.group(1));
        int second = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        int third = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
        return first >= 10 ? first * 10_000 + second : first * 10_000 + second * 100 + third;
    }

    /** The major version in {@code server_version_num} style divided by 100: 1500 for 15, 906 for 9.6. */
    public int major() {
        return num / 100;
    }

    /** The major as people write it: {@code 15}, {@code 9.6}. */
    public String majorText() {
        return major() >= 1000 ? Integer.toString(major() / 100) : (major() / 100) + "." + (major() % 100);
    }

    /** The major of PostgreSQL 10 and later as a plain number (15, 16); 9 for 9.x. */
    public int majorNumber() {
        return major() / 100;
    }

    @Override
    public String toString() {
        return text;
    }
}
