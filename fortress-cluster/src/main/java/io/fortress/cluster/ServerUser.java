package io.fortress.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The operating-system user the PostgreSQL servers run as.
 *
 * <p>initdb and postgres refuse to run as root. When this JVM is root, every server command runs
 * through {@code runuser} as an unprivileged user ({@code postgres} by default, or
 * {@code FORTRESS_PG_OS_USER}) and the files the servers use are handed to that user. Otherwise the
 * servers run as the current user and nothing is wrapped.
 */
final class ServerUser {
    /** Environment variable naming the unprivileged user to run servers as when this JVM is root. */
    static final String OS_USER_VARIABLE = "FORTRESS_PG_OS_USER";

    private final String name; // null when no switch is needed
    private final UserPrincipal user;
    private final GroupPrincipal group;

    private ServerUser(String name, UserPrincipal user, GroupPrincipal group) {
        this.name = name;
        this.user = user;
        this.group = group;
    }

    static ServerUser detect() {
        if (!isRoot()) {
            return new ServerUser(null, null, null);
        }
        String configured = System.getenv(OS_USER_VARIABLE);
        String name = configured == null || configured.isBlank() ? "postgres" : configured.strip();
        try {
            UserPrincipalLookupService lookup = Path.of("/").getFileSystem().getUserPrincipalLookupService();
            UserPrincipal user = lookup.lookupPrincipalByName(name);
            String groupName = Processes.runChecked(List.of("id", "-gn", name), java.time.Duration.ofSeconds(10)).strip();
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(groupName);
            return new ServerUser(name, user, group);
        } catch (IOException | ClusterException e) {
            throw new ClusterException("running as root, PostgreSQL must run as an unprivileged user, but OS user '"
                    + name + "' does not exist; create it (e.g. install Debian's postgresql package) or set "
                    + OS_USER_VARIABLE + " to an existing user", e);
        }
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** True when servers run as another user than this JVM's. */
    boolean switchesUser() {
        return name != null;
    }

    /** The command, prefixed so that it runs as the server user. */
    List<String> command(List<String> command) {
        if (name == null) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", name, "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * The command, prefixed so that it replaces itself by the given command as the server user
     * ({@code setpriv}): unlike {@link #command}, the process started is the command itself, so its pid
     * is the one to signal.
     */
    List<String> exec(List<String> command) {
        if (name == null) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=" + name, "--regid=" + group.getName(), "--init-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Gives a file or directory (not its contents) to the server user. */
    void own(Path path) {
        if (name == null) {
            return;
        }
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            view.setOwner(user);
            view.setGroup(group);
        } catch (IOException e) {
            throw new ClusterException("cannot give " + path + " to OS user " + name + ": " + e.getMessage(), e);
        }
    }

    /** Gives a whole tree to the server user. */
    void ownTree(Path root) {
        if (name == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.forEach(this::own);
        } catch (IOException e) {
            throw new ClusterException("cannot give " + root + " to OS user " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fails with a clear message when the server user cannot reach {@code directory}: every parent must
     * be searchable by it (a root-owned 0700 home or build folder is not).
     */
    void checkReachable(Path directory) {
        if (name == null) {
            return;
        }
        Path absolute = directory.toAbsolutePath().normalize();
        Processes.Result result = Processes.run(command(List.of("test", "-x", absolute.toString())),
                java.time.Duration.ofSeconds(10));
        if (result.exitCode() != 0) {
            throw new ClusterException("OS user '" + name + "' (who runs the PostgreSQL servers because this process is root) "
                    + "cannot reach " + absolute + "; choose a data directory outside root-only folders such as /root, "
                    + "e.g. under /var/lib or /tmp");
        }
    }

    @Override
    public String toString() {
        return name == null ? System.getProperty("user.name") : name;
    }
}
