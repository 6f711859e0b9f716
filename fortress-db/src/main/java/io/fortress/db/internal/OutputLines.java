package io.fortress.db.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** A child program's output stream, read line by line on a daemon thread so that the program never blocks on a full pipe. */
public final class OutputLines {
    private OutputLines() {
    }

    /** Starts the thread {@code threadName} handing each UTF-8 line of {@code in} to {@code lines} until the stream ends. */
    public static Thread drain(InputStream in, String threadName, Consumer<String> lines) {
        Thread t = Threads.daemon(threadName, () -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.accept(line);
                }
            } catch (IOException ignored) {
                // the process ended; what was read is kept
            }
        });
        t.start();
        return t;
    }
}
