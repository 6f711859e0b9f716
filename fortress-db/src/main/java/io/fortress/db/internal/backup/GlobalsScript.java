package io.fortress.db.internal.backup;

import io.fortress.db.backup.BackupException;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A backup's globals file (roles, tablespaces) made safe to run with psql. The file is untrusted:
 * psql's backslash commands run programs ({@code \!}), read and write files, and reconnect, so
 * <ol>
 *   <li>the bytes run are the bytes checked: read once (never through a link), compared with the
 *       manifest's SHA-256, and written to a private 0600 copy that psql runs;</li>
 *   <li>a line that starts a meta-command other than {@code \connect}, {@code \restrict} or
 *       <code>&#92;unrestrict</code> (the only ones pg_dumpall writes) refuses the file, and so does SQL
 *       that pg_dumpall does not write ({@link GlobalsSql}: it runs as a superuser, and
 *       {@code COPY ... TO PROGRAM} runs programs on the server);</li>
 *   <li>psql runs the copy in restricted mode ({@code \restrict} with a random key before the file),
 *       in which it executes no meta-command at all, wherever in a line it appears. Only psql
 *       13.22, 14.19, 15.14, 16.10, 17.6 and newer have it; older ones are refused.</li>
 * </ol>
 * The key appears in psql's arguments: it guards against the file, which is fixed before psql
 * starts and cannot read them, not against local users.
 */
public final class GlobalsScript implements AutoCloseable {
    private static final Set<String> ACCEPTED = Set.of("\\connect", "\\restrict", "\\unrestrict");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final Path copy;
    private final Set<Integer> metaLines;
    private final String key;

    private GlobalsScript(Path copy, Set<Integer> metaLines, String key) {
        this.copy = copy;
        this.metaLines = metaLines;
        this.key = key;
    }

    /**
     * Checks a backup's globals file and makes the private copy psql will run.
     *
     * @throws BackupException when psql is too old for restricted mode, the file does not match the
     *         manifest, or it holds a meta-command line; nothing was run
     */
    public static GlobalsScript prepare(BackupInfo backup, ClientTools tools) {
        requireRestrict(tools.version(), tools.describe("psql"));
        BackupManifest m = backup.manifest();
        Path file = backup.manifestPath().resolveSibling(m.files().globals());
        BackupManifest.FileEntry entry = m.files().entries().stream().filter(f -> f.path().equals(m.files().globals())).findFirst()
                .orElseThrow(() -> new BackupException("the globals file " + m.files().globals() + " of backup " + backup.id()
                        + " is not listed in its manifest with a SHA-256; it is not run"));
        byte[] bytes;
        try (InputStream in = BackupFiles.openNoFollow(file)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new BackupException("cannot read the globals file " + file + " of backup " + backup.id() + ": " + e.getMessage(), e);
        }
        String sha = HexFormat.of().formatHex(BackupFiles.sha256(bytes));
        if (!sha.equalsIgnoreCase(entry.sha256())) {
            throw new BackupException("the globals file " + file + " has SHA-256 " + sha + ", its manifest says " + entry.sha256()
                    + "; it changed after the backup and is not run");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        Set<Integer> metaLines = checkLines(text, file);
        GlobalsSql.check(text, metaLines, file);
        return privateCopy(bytes, metaLines);
    }

    /**
     * A script of bytes no check looked at. Tests only: it shows that psql's restricted mode alone
     * keeps meta-commands from running, should the checks above ever miss one.
     */
    public static GlobalsScript unchecked(byte[] bytes) {
        return privateCopy(bytes, Set.of());
    }

    private static GlobalsScript privateCopy(byte[] bytes, Set<Integer> metaLines) {
        try {
            Path copy = Files.createTempFile("fortress-globals-", ".sql",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(copy, bytes);
            return new GlobalsScript(copy, metaLines, randomKey());
        } catch (IOException e) {
            throw new BackupException("cannot write a private copy of the globals file: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a psql without {@code \restrict}: 13.22, 14.19, 15.14, 16.10, 17.6 and every 18 have it.
     *
     * @param described the psql chosen, for the message
     */
    public static void requireRestrict(PgVersion psql, String described) {
        int major = psql.majorNumber();
        int minor = psql.num() % 100;
        int needed = switch (major) {
            case 13 -> 22;
            case 14 -> 19;
            case 15 -> 14;
            case 16 -> 10;
            case 17 -> 6;
            default -> major >= 18 ? 0 : -1;
        };
        if (needed < 0 || minor < needed) {
            throw new BackupException("restoring a globals file needs psql "
                    + (needed < 0 ? "13.22, 14.19, 15.14, 16.10, 17.6" : major + "." + needed) + " or newer, not " + described
                    + ": only those have \\restrict, which keeps a globals file from running psql meta-commands such as \\! (a shell "
                    + "command); install the newest minor release of the client tools (Debian: apt-get install postgresql-client-"
                    + Math.max(13, major) + ") or set PG_BIN to newer ones, or restore without --globals");
        }
    }

    /** The numbers of the lines holding an accepted meta-command; any other meta-command line refuses the file. */
    public static Set<Integer> checkLines(String text, Path file) {
        Set<Integer> meta = new java.util.HashSet<>();
        // lines as psql reads them, and as GlobalsSql counts them: up to \n (a lone \r split here would number the lines
        // differently from GlobalsSql, which then skipped an SQL line as a meta-command's)
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].stripLeading();
            if (!line.startsWith("\\")) {
                continue;
            }
            int cr = line.indexOf('\r');
            if (cr >= 0 && cr != line.length() - 1) {
                throw new BackupException("the globals file " + file + " has a carriage return inside the meta-command line " + (i + 1)
                        + "; pg_dumpall writes none there, so it was altered and is not run");
            }
            String command = line.split("[\\s]", 2)[0];
            if (!ACCEPTED.contains(command)) {
                String shown = command.length() > 20 ? command.substring(0, 20) + "..." : command;
                throw new BackupException("the globals file " + file + " has the psql meta-command " + shown.replaceAll("\\p{Cntrl}", "?")
                        + " on line " + (i + 1) + "; a globals file may hold SQL and only \\connect, \\restrict and \\unrestrict "
                        + "(pg_dumpall writes no others), so it was altered and is not run");
            }
            meta.add(i + 1);
        }
        return meta;
    }

    /** The psql command: restricted mode with a random key, then the copy. */
    public List<String> command(ClientTools tools, String dbname) {
        return List.of(tools.psql(), "--no-psqlrc", "--no-password", "--quiet", "--set=ON_ERROR_STOP=0",
                "--set=VERBOSITY=verbose", "--command=\\restrict " + key, "--file=" + copy, "--dbname=" + dbname);
    }

    /**
     * The errors in psql's output that fail the restore: every SQL error but "role exists" (42710),
     * and every meta-command psql refused, except on the lines of accepted ones (pg_dumpall's own
     * {@code \restrict} and <code>&#92;unrestrict</code>, refused because fortress's restriction came first).
     */
    public List<String> errors(List<String> stderr) {
        Pattern at = Pattern.compile("^psql:" + Pattern.quote(copy.toString()) + ":(\\d+): (ERROR|error):\\s+(.*)$");
        List<String> errors = new ArrayList<>();
        for (String line : stderr) {
            Matcher m = at.matcher(line);
            if (m.matches()) {
                boolean meta = m.group(2).equals("error");
                if (meta && metaLines.contains(Integer.parseInt(m.group(1))) || m.group(3).startsWith("42710:")) {
                    continue;
                }
                errors.add("line " + m.group(1) + ": " + m.group(2) + ": " + m.group(3)
                        + (meta && m.group(3).contains("restricted") ? " (a meta-command in the globals file was refused, not run)" : ""));
            } else if (line.contains("ERROR:") && !line.contains("ERROR:  42710:")) {
                errors.add(line);
            }
        }
        return errors;
    }

    private static String randomKey() {
        StringBuilder sb = new StringBuilder(32);
        for (int i = 0; i < 32; i++) {
            sb.append(ALNUM.charAt(RANDOM.nextInt(ALNUM.length())));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        BackupFiles.deleteQuietly(copy);
    }
}
