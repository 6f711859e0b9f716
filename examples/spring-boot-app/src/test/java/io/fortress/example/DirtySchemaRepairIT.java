package io.fortress.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.spring.DirtyDatabaseFailureAnalyzer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The example application on a dirty schema: start-up stops, the failure analysis gives a fortress
 * command line, and that command, run as a user would (bin/fortress), repairs the schema so that the
 * application starts again.
 */
class DirtySchemaRepairIT {
    private static final Path FORTRESS = Path.of("..", "..", "bin", "fortress");

    @Test
    void theAdvisedCommandRepairsTheSchemaAndTheApplicationStartsAgain() throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().replicas(0).start()) {
            try (ConfigurableApplicationContext first = start(cluster)) {
                assertThat(cluster.primary().queryValue("SELECT version || ' ' || dirty FROM shop.schema_migrations")).isEqualTo("1 false");
            }
            // a migration that failed outside a transaction leaves this behind
            cluster.primary().execute("UPDATE shop.schema_migrations SET dirty = true");

            Throwable failure = catchThrowable(() -> start(cluster).close());
            assertThat(failure).as("a dirty schema stops start-up").isNotNull();
            FailureAnalysis analysis = new DirtyDatabaseFailureAnalyzer().analyze(failure);
            assertThat(analysis).as("the analyzer recognises the failure").isNotNull();
            assertThat(analysis.getDescription()).contains("schema shop dirty", "version 1");
            String command = analysis.getAction().lines().map(String::strip).filter(l -> l.startsWith("fortress migrate force 1 "))
                    .findFirst().orElseThrow(() -> new AssertionError("no fortress command for version 1 in:\n" + analysis.getAction()));
            assertThat(command).contains("--schema shop", "--source ");
            assertThat(analysis.getAction()).contains("fortress migrate force -1 --schema shop");

            List<String> words = new ArrayList<>(shellWords(command));
            Map<String, String> assignments = new HashMap<>(); // VAR=value words before the command, as the shell takes them
            while (words.get(0).matches("[A-Z_][A-Z0-9_]*=.*")) {
                String assignment = words.remove(0);
                assignments.put(assignment.substring(0, assignment.indexOf('=')), assignment.substring(assignment.indexOf('=') + 1));
            }
            assertThat(words.get(0)).isEqualTo("fortress");
            List<String> argv = new ArrayList<>(List.of(FORTRESS.toString()));
            argv.addAll(words.subList(1, words.size()));
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("DB_") || k.startsWith("PG") || k.startsWith("FORTRESS_"));
            env.putAll(dbEnvironment(cluster));
            env.putAll(assignments);
            Path log = Files.createTempFile("fortress-force", ".log");
            pb.redirectOutput(log.toFile());
            Process fortress = pb.start();
            try {
                assertThat(fortress.waitFor(10, TimeUnit.MINUTES)).as("bin/fortress ended").isTrue();
                String out = Files.readString(log, StandardCharsets.UTF_8);
                assertThat(fortress.exitValue()).as(out).isZero();
                assertThat(out).contains("shop: forced to version 1");
            } finally {
                fortress.destroyForcibly();
                Files.deleteIfExists(log);
            }

            try (ConfigurableApplicationContext repaired = start(cluster)) {
                assertThat(repaired.isRunning()).isTrue();
                assertThat(cluster.primary().queryValue("SELECT version || ' ' || dirty FROM shop.schema_migrations")).isEqualTo("1 false");
                assertThat(cluster.primary().queryValue("SELECT count(*) FROM shop.orders")).isEqualTo("0");
            }
        }
    }

    private static ConfigurableApplicationContext start(LocalCluster cluster) {
        return new SpringApplicationBuilder(OrdersApplication.class).properties(
                "server.port=0", "fortress.host=" + Node.HOST, "fortress.port=" + cluster.primary().port(),
                "fortress.user=" + cluster.superuser(), "fortress.password=" + cluster.password(),
                "fortress.database=" + cluster.database()).run();
    }

    private static Map<String, String> dbEnvironment(LocalCluster cluster) {
        Map<String, String> env = new HashMap<>();
        env.put("DB_HOST", Node.HOST);
        env.put("DB_PORT", Integer.toString(cluster.primary().port()));
        env.put("DB_USER", cluster.superuser());
        env.put("PGPASSWORD", cluster.password()); // the environment, not the arguments: no secret in ps
        env.put("DB_NAME", cluster.database());
        return env;
    }

    /** The words of a command line as a POSIX shell splits them: at spaces, with 'single quotes' and '\'' inside them. */
    private static List<String> shellWords(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
                any = true;
            } else if (c == '\\' && !quoted && i + 1 < line.length()) {
                word.append(line.charAt(++i));
            } else if (c == ' ' && !quoted) {
                if (any || word.length() > 0) {
                    words.add(word.toString());
                }
                word.setLength(0);
                any = false;
            } else {
                word.append(c);
            }
        }
        if (any || word.length() > 0) {
            words.add(word.toString());
        }
        return words;
    }
}
