package io.fortress.db.internal.backup.pitr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What other local users could see of a process: its command line and environment, from /proc. */
final class ProcFiles {
    private ProcFiles() {
    }

    /** The command line and environment (NULs as spaces) of every process whose command line names {@code program}. */
    static List<String> ofProcessesRunning(String program) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path proc : processes.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    if (cmdline.contains(program)) {
                        found.add(cmdline);
                        found.add(new String(Files.readAllBytes(proc.resolve("environ")), StandardCharsets.UTF_8).replace('\0', ' '));
                    }
                } catch (IOException ended) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return found;
    }
}
