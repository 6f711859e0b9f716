package io.fortress.db.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * What the fuzz targets share (issue #23, section 5): the corpus of interesting inputs kept in
 * {@code src/test/resources/fuzz/<target>/}, inputs made by mutating it, and a time bound on every call
 * so that a hang fails the property instead of the build.
 *
 * <p>The number of tries per property is jqwik's {@code jqwik.tries.default} (junit-platform.properties:
 * a few seconds per module in {@code mvn verify}); the soak in bench/ raises it on the command line.
 */
public final class Fuzz {
    /** The longest one parser call may take on any input before it counts as a hang. */
    public static final Duration LIMIT = Duration.ofSeconds(5);

    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fuzz-target");
        t.setDaemon(true);
        return t;
    });

    private Fuzz() {
    }

    /** The corpus of a target: every file of {@code fuzz/<target>/} on the test classpath, as UTF-8 text, in name order. */
    public static List<String> corpus(String target) {
        List<String> inputs = new ArrayList<>();
        for (Path file : corpusFiles(target)) {
            try {
                inputs.add(Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return inputs;
    }

    /** The corpus files of a target, in name order. */
    public static List<Path> corpusFiles(String target) {
        URL folder = Fuzz.class.getClassLoader().getResource("fuzz/" + target);
        if (folder == null) {
            throw new IllegalStateException("no corpus fuzz/" + target + " on the test classpath");
        }
        try (Stream<Path> files = Files.list(Path.of(folder.toURI()))) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Inputs made from the seeds by up to eight edits each: a fragment inserted, a range deleted, a range
     * replaced by a fragment, or a range of the input copied elsewhere. Shrinks towards the unedited seed.
     */
    public static Arbitrary<String> mutants(List<String> seeds, Arbitrary<String> fragments) {
        Arbitrary<Edit> edit = Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.doubles().between(0, 1),
                Arbitraries.integers().between(0, 16), fragments).as(Edit::new);
        return Combinators.combine(Arbitraries.of(seeds), edit.list().ofMaxSize(8)).as(Fuzz::apply);
    }

    /** Fragments: the given tokens, or short random text of any characters. */
    public static Arbitrary<String> fragments(String... tokens) {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.of(tokens)),
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().all().ofMaxLength(4)),
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(6)));
    }

    private record Edit(int kind, double at, int length, String fragment) {
    }

    private static String apply(String seed, List<Edit> edits) {
        StringBuilder s = new StringBuilder(seed);
        for (Edit e : edits) {
            int at = (int) (e.at() * s.length());
            int end = Math.min(s.length(), at + e.length());
            switch (e.kind()) {
                case 0 -> s.insert(at, e.fragment());
                case 1 -> s.delete(at, end);
                case 2 -> s.replace(at, end, e.fragment());
                default -> s.insert((int) ((1 - e.at()) * s.length()), s.substring(at, end));
            }
        }
        return s.toString();
    }

    /**
     * Runs one call of a target, failing when it takes longer than {@link #LIMIT} (a hang) and rethrowing
     * whatever it threw, so the property sees the target's own exception.
     */
    public static <T> T within(Object input, Callable<T> call) throws Exception {
        Future<T> result = WORKERS.submit(call);
        try {
            return result.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            throw new AssertionError("no answer within " + LIMIT.toSeconds() + "s (a hang) for the input " + show(input));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            if (e.getCause() instanceof AssertionError failed) {
                throw failed;
            }
            throw new AssertionError("an Error for the input " + show(input), e.getCause());
        }
    }

    /** An input as a Java string literal, so a failing one can be copied into the corpus or a test. */
    public static String show(Object input) {
        if (!(input instanceof String s)) {
            return String.valueOf(input);
        }
        StringBuilder b = new StringBuilder("\"");
        String shown = s.length() > 2000 ? s.substring(0, 2000) : s;
        for (char c : shown.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b.append(s.length() > 2000 ? "\"... (" + s.length() + " characters)" : "\"").toString();
    }
}
