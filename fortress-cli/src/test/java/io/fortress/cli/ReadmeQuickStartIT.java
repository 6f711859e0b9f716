package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's quick start, as written, in one bash session: its first block's {@code bin/fortress serve}
 * (in the background, on a free port instead of 8080), every line of its second block, then Ctrl-C
 * (SIGINT) and serve again in the same shell, after {@code cluster env} exported DB_HOST. Each README
 * command needs an expected exit status and key output line here, so a command added to the README
 * without one, or a README that no longer matches the behaviour, fails this test.
 */
class ReadmeQuickStartIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /**
     * What each README command must print (stdout and stderr together), by the command's start: patterns
     * that only a working command prints, never its error messages (which name nodes and services too).
     */
    private static final Map<String, Pattern> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("bin/fortress serve", Pattern.compile("fortress serve is up"));
        EXPECTED.put("curl http://127.0.0.1:8080/health/database", Pattern.compile("\"primary_healthy\":true"));
        EXPECTED.put("bin/fortress health", Pattern.compile("(?m)^primary +primary +127\\.0\\.0\\.1:\\d+ +UP\\b(?s).*^replica-2 +replica +127\\.0\\.0\\.1:\\d+ +STREAMING\\b"));
        EXPECTED.put("bin/fortress migrate status", Pattern.compile(
                "(?m)^credits: version (\\d+), newest \\1, 0 pending$(?s).*^shadow: version (\\d+), newest \\2, 0 pending$.*^cdefnet: version (\\d+), newest \\3, 0 pending$"));
        EXPECTED.put("bin/fortress backup create", Pattern.compile("created backup \\S+ \\(verified, "));
        EXPECTED.put("eval \"$(bin/fortress cluster env)\"; psql", Pattern.compile("(?m)^ readme-psql-ok *$"));
    }

    private Path work;
    private final List<Long> servePids = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (long pid : servePids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
        if (work != null) {
            Path cluster = work.resolve("data").resolve("cluster");
            if (Files.exists(cluster)) {
                EmbeddedCluster.builder(Map.of("FORTRESS_DATA_DIR", work.resolve("data").toString())).build().inspect().stopAll();
            }
            try (var paths = Files.walk(work)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The ```bash blocks of the README's quick start, each a list of commands without their comments. */
    static List<List<String>> quickStartBlocks() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("## Quick start");
        String section = readme.substring(start, readme.indexOf("\n## ", start + 1));
        List<List<String>> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL).matcher(section);
        while (m.find()) {
            List<String> commands = new ArrayList<>();
            for (String line : m.group(1).split("\\n")) {
                String command = line.replaceFirst("\\s+#.*$", "").strip();
                if (!command.isEmpty()) {
                    commands.add(command);
                }
            }
            blocks.add(commands);
        }
        return blocks;
    }

    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES) // the bash session gets 10 (below); the default 5 is too short
    void theQuickStartRunsAsWritten() throws Exception {
        List<List<String>> blocks = quickStartBlocks();
        assertThat(blocks).as("the quick start's two bash blocks").hasSize(2);
        assertThat(blocks.get(0)).contains("bin/fortress serve", "bin/test");
        List<String> tries = blocks.get(1);
        for (String command : tries) {
            assertThat(EXPECTED.keySet()).as("an expectation for the README's command: " + command).contains(command);
        }

        work = Files.createTempDirectory("fortress-readme");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x")); // the server user must reach it
        int port = FortressProcess.freePort();
        String address = "127.0.0.1:" + port;

        // job control: without it a background job ignores SIGINT, and Ctrl-C (kill -INT) would not reach serve
        StringBuilder script = new StringBuilder("set -um\ncd '" + ROOT + "'\n");
        script.append("export FORTRESS_DATA_DIR='").append(work.resolve("data")).append("' FORTRESS_HTTP_ADDR=").append(address).append('\n');
        script.append("unset DB_HOST DB_PORT DB_USER DB_NAME DB_REPLICA_HOSTS PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD FORTRESS_CLUSTER_ENV\n");
        script.append("""
                serve_up() { # $1: log; waits for serve's banner, at most 3 minutes
                  for _ in $(seq 1 900); do
                    grep -q 'stop with Ctrl-C' "$1" 2>/dev/null && return 0
                    kill -0 "$serve" 2>/dev/null || { echo "serve exited"; cat "$1"; return 1; }
                    sleep 0.2
                  done
                  return 1
                }
                """);
        script.append(blocks.get(0).get(0)).append(" > '").append(work.resolve("serve-1.log")).append("' 2>&1 &\nserve=$!\necho \"@@pid $serve\"\n");
        script.append("serve_up '").append(work.resolve("serve-1.log")).append("'; echo \"@@exit bin/fortress serve $?\"; cat '")
                .append(work.resolve("serve-1.log")).append("'\n");
        for (String command : tries) {
            String runnable = command.replace("127.0.0.1:8080", address);
            if (command.endsWith("psql")) {
                runnable += " -v ON_ERROR_STOP=1 <<< \"SELECT 'readme-psql-ok';\"";
            }
            script.append("echo \"@@run ").append(command.replace("\"", "\\\"").replace("$", "\\$")).append("\"\n");
            script.append(runnable).append(" 2>&1\necho \"@@exit $?\"\n");
        }
        // Ctrl-C, then serve again in the same shell: DB_HOST now names the embedded cluster
        script.append("kill -INT $serve; wait $serve; echo \"@@stopped $?\"\n");
        script.append("test -n \"${DB_HOST:-}\" && echo \"@@db_host set\"\n");
        script.append(blocks.get(0).get(0)).append(" > '").append(work.resolve("serve-2.log")).append("' 2>&1 &\nserve=$!\necho \"@@pid $serve\"\n");
        script.append("serve_up '").append(work.resolve("serve-2.log")).append("'; echo \"@@exit serve again $?\"; cat '")
                .append(work.resolve("serve-2.log")).append("'\n");
        script.append("curl -s http://").append(address).append("/health/database; echo; echo \"@@exit curl again $?\"\n");
        script.append("kill -INT $serve; wait $serve; echo \"@@stopped $?\"\n");

        Path scriptFile = work.resolve("quickstart.sh");
        Files.writeString(scriptFile, script);
        Process bash = new ProcessBuilder("bash", scriptFile.toString()).redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                for (String line : new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    output.append(line).append('\n');
                }
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        reader.start();
        boolean finished = bash.waitFor(10, TimeUnit.MINUTES);
        if (!finished) {
            bash.destroyForcibly();
        }
        reader.join(10_000);
        String out = output.toString();
        Matcher pids = Pattern.compile("@@pid (\\d+)").matcher(out);
        while (pids.find()) {
            servePids.add(Long.parseLong(pids.group(1)));
        }
        assertThat(finished).as("the quick start finished within 10 minutes:\n" + out).isTrue();

        assertThat(out).as(out).contains("@@exit bin/fortress serve 0").containsPattern(EXPECTED.get("bin/fortress serve"));
        for (String command : tries) {
            String block = out.substring(out.indexOf("@@run " + command));
            block = block.substring(0, block.indexOf("@@exit"));
            String status = out.substring(out.indexOf("@@exit", out.indexOf("@@run " + command))).split("\n")[0];
            assertThat(status).as(command + ":\n" + block).isEqualTo("@@exit 0");
            assertThat(block).as(command).containsPattern(EXPECTED.get(command));
        }
        assertThat(out).contains("@@db_host set").contains("@@exit serve again 0").contains("@@exit curl again 0");
        assertThat(out.split("@@exit serve again 0")[1]).contains("\"primary_healthy\":true");
        assertThat(Pattern.compile("@@stopped (\\d+)").matcher(out).results().count()).isEqualTo(2);
    }
}
