package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A PostgreSQL server started on a restored data directory: a separate server on its own free port of
 * 127.0.0.1, with {@code archive_mode=off} so that it never archives into the stanza it came from.
 * {@link #close()} stops it; the data directory stays until {@link #discard()}.
 */
public final class RestoredServer implements AutoCloseable {
    static final String HOST = "127.0.0.1";

    private final Path dataDirectory;
    private final Path logFile;
    private final int port;
    private final Path pgCtl;
    private final OsUser user;
    private Thread shutdownHook;

    private RestoredServer(Path dataDirectory, Path logFile, int port, Path pgCtl, OsUser user) {
        this.dataDirectory = dataDirectory;
        this.logFile = logFile;
        this.port = port;
        this.pgCtl = pgCtl;
        this.user = user;
    }

    /**
     * Starts the server on a free port and waits until recovery reached its target and the server was
     * promoted (it accepts writes).
     *
     * @param stopWithJvm whether a JVM shutdown hook stops it (drills and tests); false leaves it running for the operator
     */
    static RestoredServer start(Path dataDirectory, Path pgBinDir, OsUser user, Connector connector, Duration timeout, boolean stopWithJvm) {
        Path logFile = dataDirectory.resolveSibling(dataDirectory.getFileName() + ".log");
        int port = freePort();
        RestoredServer server = new RestoredServer(dataDirectory, logFile, port, pgBinDir.resolve("pg_ctl"), user);
        try {
            Files.deleteIfExists(logFile);
            Files.createFile(logFile);
            user.own(logFile);
        } catch (IOException e) {
            throw new BackupException("cannot create the restored server's log " + logFile + ": " + e.getMessage(), e);
        }
        // pg_ctl hands -o to a shell: only fixed words and a number go in it
        String options = "-c port=" + port + " -c listen_addresses=" + HOST + " -c unix_socket_directories= -c archive_mode=off"
                + " -c hot_standby=on";
        server.pgCtl(List.of("start", "-D", dataDirectory.toString(), "-l", logFile.toString(), "-w", "-t",
                Long.toString(Math.max(1, timeout.toSeconds())), "-o", options), timeout.plusSeconds(30));
        if (stopWithJvm) {
            server.shutdownHook = new Thread(server::stopQuietly, "fortress-restored-server-shutdown");
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        }
        try {
            server.awaitPromotion(connector, timeout);
        } catch (RuntimeException e) {
            server.stopQuietly();
            throw e;
        }
        return server;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return logFile;
    }

    /** Waits until recovery ended and the server left recovery (a target reached with promote, or the archive's end). */
    private void awaitPromotion(Connector connector, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!Files.exists(dataDirectory.resolve("postmaster.pid"))) {
                throw new BackupException("the restored server stopped during recovery; its log ends with:\n" + logTail(15));
            }
            try (Connection c = connector.open(port); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return;
                }
                last = "still in recovery";
            } catch (SQLException e) {
                last = e.getMessage();
            }
            ArchiveMonitor.sleep(100);
        }
        throw new BackupException("the restored server on port " + port + " did not finish recovery within "
                + io.fortress.db.api.Durations.format(timeout) + " (" + last + "); its log ends with:\n" + logTail(15));
    }

    /** Stops the server (fast shutdown); the data directory stays. */
    @Override
    public synchronized void close() {
        if (Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            pgCtl(List.of("stop", "-D", dataDirectory.toString(), "-m", "fast", "-w", "-t", "120"), Duration.ofMinutes(3));
        }
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what runs us
            }
            shutdownHook = null;
        }
    }

    /** Stops the server and deletes its data directory and log. */
    public void discard() {
        close();
        Restore.deleteTree(dataDirectory);
        try {
            Files.deleteIfExists(logFile);
        } catch (IOException e) {
            throw new BackupException("cannot delete " + logFile + ": " + e.getMessage(), e);
        }
    }

    private void stopQuietly() {
        try {
            close();
        } catch (RuntimeException ignored) {
            // at shutdown or after a failed start: nothing more to do
        }
    }

    private void pgCtl(List<String> args, Duration timeout) {
        List<String> command = new ArrayList<>();
        command.add(pgCtl.toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(user.wrap(command)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().keySet().removeIf(n -> n.startsWith("PG") || n.contains("PASSWORD") || n.contains("SECRET"));
        try {
            Process p = builder.start();
            if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new BackupException("pg_ctl " + args.get(0) + " of the restored server in " + dataDirectory + " did not finish within "
                        + io.fortress.db.api.Durations.format(timeout) + "; its log ends with:\n" + logTail(15));
            }
            if (p.exitValue() != 0) {
                throw new BackupException("pg_ctl " + args.get(0) + " of the restored server in " + dataDirectory + " failed with exit code "
                        + p.exitValue() + "; its log ends with:\n" + logTail(15));
            }
        } catch (IOException e) {
            throw new BackupException("cannot run " + pgCtl + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("interrupted while running pg_ctl " + args.get(0), e);
        }
    }

    /** The last lines of the server's log. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + logFile + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new BackupException("cannot find a free port on " + HOST + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "restored server " + HOST + ":" + port + " on " + dataDirectory;
    }
}
