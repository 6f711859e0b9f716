package io.fortress.db.backup;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL version as a tool's {@code --version} or the server reports it. Majors compare the
 * way PostgreSQL numbers them: {@code 9.6} before {@code 10}, {@code 15} before {@code 16}.
 *
 * @param major the major version in server_version_num style divided by 100: 1500 for 15, 906 for 9.6
 * @param text  the version as printed, e.g. {@code 15.18 (Debian 15.18-0+deb12u1)}
 */
record PgVersion(int major, String text) {
    private static final Pattern TOOL_OUTPUT = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");
    private static final Pattern LEADING = Pattern.compile("^\\s*(\\d+)(?:\\.(\\d+))?");

    /**
     * Parses a tool's {@code --version} line, e.g. {@code pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)},
     * {@code pg_dump (PostgreSQL) 17beta1} or {@code pg_dump (PostgreSQL) 9.6.24}.
     */
    static PgVersion parseToolOutput(String output) {
        String line = output == null ? "" : output.strip();
        Matcher m = TOOL_OUTPUT.matcher(line);
        if (!m.find()) {
            throw new IllegalArgumentException("not a PostgreSQL tool version: '" + line + "'");
        }
        return new PgVersion(major(m.group(1), m.group(2)), line.substring(m.start(1)));
    }

    /** Parses a version text such as {@code 15.18 (Debian ...)} (the server's {@code server_version}, or an archive header's). */
    static PgVersion parseVersionText(String text) {
        Matcher m = LEADING.matcher(text == null ? "" : text);
        if (!m.find()) {
            throw new IllegalArgumentException("not a PostgreSQL version: '" + text + "'");
        }
        return new PgVersion(major(m.group(1), m.group(2)), text.strip());
    }

    /** From {@code server_version_num} (e.g. 150018, 90624) and {@code server_version}. */
    static PgVersion ofServer(int versionNum, String text) {
        return new PgVersion(versionNum / 100, text);
    }

    private static int major(String first, String second) {
        int a = Integer.parseInt(first);
        if (a >= 10) {
            return a * 100;
        }
        return a * 100 + (second == null ? 0 : Integer.parseInt(second));
    }

    /** The major as people write it: {@code 15}, {@code 9.6}. */
    String majorText() {
        return major >= 1000 ? Integer.toString(major / 100) : (major / 100) + "." + (major % 100);
    }

    /** The major of PostgreSQL 10 and later as a plain number (15, 16); 9 for 9.x. */
    int majorNumber() {
        return major / 100;
    }

    @Override
    public String toString() {
        return text;
    }
}
