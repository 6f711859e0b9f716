package io.fortress.db.backup;

import java.nio.file.Path;

/**
 * A server started from a point-in-time restore: a new data directory, a free port of its own, promoted
 * (it takes writes), not archiving into the repository. The running cluster is never touched.
 */
public interface RestoredCluster extends AutoCloseable {
    /** The new data directory. */
    Path dataDirectory();

    /** The port it listens on. */
    int port();

    /** Its server log. */
    Path logFile();

    /** Stops the server; its data directory stays. */
    @Override
    void close();
}
