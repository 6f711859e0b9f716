package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import io.fortress.db.api.Secret;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Validation of the values that end up in pgbackrest.conf, in pgBackRest's arguments and in
 * {@code archive_command} (run by a shell): each failure names the setting and what is accepted.
 */
final class Checks {
    /** Characters a path may hold: no whitespace, quotes, '=', '#', '$' or newlines, so it is safe in an INI file and a shell. */
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9_./@+:,-]*");
    private static final Pattern STANZA = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern ROLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final Pattern HOST_NAME = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|\\[?[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*]?");

    private Checks() {
    }

    static Path path(String setting, Path value) {
        if (value == null) {
            throw new BackupException(setting + " is required: an absolute path");
        }
        Path normal = value.toAbsolutePath().normalize();
        if (!value.isAbsolute() || !SAFE_PATH.matcher(value.toString()).matches() || !normal.toString().equals(value.toString())) {
            throw new BackupException(setting + " must be an absolute, normalized path of letters, digits and _ . / @ + : , - "
                    + "(no spaces, quotes or '..', since it is written into pgbackrest.conf and archive_command), was '" + value + "'");
        }
        return value;
    }

    static String stanza(String value) {
        if (value == null || !STANZA.matcher(value).matches()) {
            throw new BackupException("the pgBackRest stanza must be 1 to 64 letters, digits, _ . - starting with a letter or digit, was '"
                    + value + "'");
        }
        return value;
    }

    static String role(String setting, String value) {
        if (value == null || !ROLE.matcher(value).matches()) {
            throw new BackupException(setting + " must be a plain PostgreSQL role name (letters, digits, _), was '" + value + "'");
        }
        return value;
    }

    static int port(String setting, int value) {
        return range(setting, value, 1, 65535);
    }

    static int range(String setting, int value, int min, int max) {
        if (value < min || value > max) {
            throw new BackupException(setting + " must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    /** A host name for TLS: pgBackRest 2.45 matches the certificate against it and refuses IP subject alternative names. */
    static String tlsHostName(String setting, String value) {
        if (value == null || !HOST_NAME.matcher(value).matches()) {
            throw new BackupException(setting + " must be a host name (letters, digits, '-' and '.'), was '" + value + "'");
        }
        if (IP_LITERAL.matcher(value).matches()) {
            throw new BackupException(setting + " must be a host name, not the IP address " + value + ": pgBackRest checks the "
                    + "server's certificate against the name and does not accept an IP address (use e.g. localhost with a "
                    + "certificate for DNS:localhost)");
        }
        return value;
    }

    /** A single-line value of a pgbackrest.conf option. */
    static String line(String setting, String value) {
        if (value == null || value.isBlank() || value.strip().length() != value.length() || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new BackupException(setting + " must be a non-empty single line without control characters or surrounding spaces");
        }
        return value;
    }

    /** A secret written into pgbackrest.conf: one line; the message never shows it. */
    static Secret secret(String setting, Secret value, int minLength) {
        if (value == null) {
            throw new BackupException(setting + " is required");
        }
        String v = value.reveal();
        if (v.length() < minLength) {
            throw new BackupException(setting + " must be at least " + minLength + " characters long (e.g. the output of "
                    + "openssl rand -base64 48), was " + v.length());
        }
        if (v.strip().length() != v.length() || v.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new BackupException(setting + " must be a single line without control characters or surrounding spaces");
        }
        return value;
    }
}
