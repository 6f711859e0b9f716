package io.fortress.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: every line must
 * be a well-formed HELP, TYPE or sample line, every sample must belong to the family last declared,
 * and no series may appear twice. {@link #problems()} also lists names that break Prometheus' naming
 * conventions (counters without _total, units other than seconds and bytes).
 */
final class PrometheusText {
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "summary", "histogram", "untyped");
    private static final List<String> NON_BASE_UNITS = List.of("_ms", "_millis", "_milliseconds", "_nanos", "_nanoseconds",
            "_micros", "_microseconds", "_minutes", "_hours", "_kb", "_mb", "_gb", "_kilobytes", "_megabytes");

    /** One sample line. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    final Map<String, String> types = new HashMap<>();
    final List<Sample> samples = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        p.read(text);
        return p;
    }

    /** Everything found wrong: syntax errors, stray samples, duplicates, naming violations. */
    List<String> problems() {
        return problems;
    }

    List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name.equals(name)).toList();
    }

    private void read(String text) {
        String family = null;
        String familyType = null;
        Set<String> seen = new HashSet<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ", 4);
                if (parts.length < 4 || !METRIC_NAME.matcher(parts[2]).matches()) {
                    problems.add(lineNo + ": malformed " + line);
                    continue;
                }
                if (line.startsWith("# TYPE ")) {
                    if (!TYPES.contains(parts[3])) {
                        problems.add(lineNo + ": unknown type " + parts[3]);
                    }
                    if (types.put(parts[2], parts[3]) != null) {
                        problems.add(lineNo + ": TYPE of " + parts[2] + " declared twice");
                    }
                    family = parts[2];
                    familyType = parts[3];
                    checkName(family, familyType, lineNo);
                }
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Sample sample = sample(line, lineNo);
            if (sample == null) {
                continue;
            }
            if (family == null || !belongs(sample.name, family, familyType)) {
                problems.add(lineNo + ": sample " + sample.name + " outside its family (last TYPE: " + family + ")");
            }
            String series = sample.name + new TreeMap<>(sample.labels);
            if (!seen.add(series)) {
                problems.add(lineNo + ": duplicate series " + series);
            }
            samples.add(sample);
        }
    }

    private static boolean belongs(String name, String family, String type) {
        return switch (type) {
            case "summary" -> name.equals(family) || name.equals(family + "_count") || name.equals(family + "_sum");
            case "histogram" -> name.equals(family + "_bucket") || name.equals(family + "_count") || name.equals(family + "_sum");
            default -> name.equals(family);
        };
    }

    private void checkName(String name, String type, int lineNo) {
        if (type.equals("counter") && !name.endsWith("_total")) {
            problems.add(lineNo + ": counter " + name + " does not end in _total");
        }
        if (!type.equals("counter") && name.endsWith("_total")) {
            problems.add(lineNo + ": " + type + " " + name + " ends in _total");
        }
        for (String unit : NON_BASE_UNITS) {
            if (name.endsWith(unit) || name.contains(unit + "_")) {
                problems.add(lineNo + ": " + name + " is not in base units (seconds, bytes)");
            }
        }
    }

    private Sample sample(String line, int lineNo) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        if (!METRIC_NAME.matcher(name).matches()) {
            problems.add(lineNo + ": bad metric name in " + line);
            return null;
        }
        Map<String, String> labels = new HashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq);
                if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
                    problems.add(lineNo + ": bad label name " + label);
                }
                if (line.charAt(eq + 1) != '"') {
                    problems.add(lineNo + ": unquoted label value in " + line);
                    return null;
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (line.charAt(j) != '"') {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        if (next != '\\' && next != '"' && next != 'n') {
                            problems.add(lineNo + ": bad escape \\" + next);
                        }
                        value.append(next == 'n' ? '\n' : next);
                    } else {
                        value.append(c);
                    }
                    j++;
                }
                if (labels.put(label, value.toString()) != null) {
                    problems.add(lineNo + ": label " + label + " twice");
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        String[] rest = line.substring(i).strip().split(" ");
        if (rest.length < 1 || rest.length > 2) {
            problems.add(lineNo + ": expected a value (and a timestamp) in " + line);
            return null;
        }
        double value;
        try {
            value = switch (rest[0]) {
                case "NaN" -> Double.NaN;
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                default -> Double.parseDouble(rest[0]);
            };
        } catch (NumberFormatException e) {
            problems.add(lineNo + ": bad value " + rest[0]);
            return null;
        }
        return new Sample(name, labels, value);
    }
}
