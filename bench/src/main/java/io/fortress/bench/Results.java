package io.fortress.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Every figure of a run, each compared with its baseline, printed and written to bench/results/. */
final class Results {
    /** One comparison, as bench/results/latest.json lists it. */
    record Comparison(String name, String contender, String baseline, String metric, double value, double baselineValue,
                      double ratio, double min, double max, String target) {
    }

    /** One figure with no baseline (e.g. memory). */
    record Figure(String name, String contender, String metric, double value, double min, double max) {
    }

    private final List<Comparison> comparisons = new ArrayList<>();
    private final List<Figure> figures = new ArrayList<>();

    /** Adds a comparison; for latencies (lower is better) the ratio is value/baseline, as for throughput. */
    void compare(String name, String contender, String baseline, String metric, Figures value, Figures baselineValue, String target) {
        double ratio = value.median() / baselineValue.median();
        comparisons.add(new Comparison(name, contender, baseline, metric, value.median(), baselineValue.median(), ratio,
                value.min(), value.max(), target));
    }

    /** Adds a comparison of paired rounds: the ratio is the median of the rounds' own ratios. */
    void compare(String name, String contender, String baseline, String metric, Figures value, Figures baselineValue, Figures ratios,
                 String target) {
        comparisons.add(new Comparison(name, contender, baseline, metric, value.median(), baselineValue.median(), ratios.median(),
                value.min(), value.max(), target));
    }

    void figure(String name, String contender, String metric, Figures value) {
        figures.add(new Figure(name, contender, metric, value.median(), value.min(), value.max()));
    }

    String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| %-34s | %-28s | %-28s | %-15s | %12s | %12s | %7s | %-22s | %-10s |%n",
                "workload", "contender", "baseline", "metric", "value", "baseline", "ratio", "contender min..max", "target"));
        sb.append("|").append("-".repeat(36)).append("|").append("-".repeat(30)).append("|").append("-".repeat(30)).append("|")
                .append("-".repeat(17)).append("|").append("-".repeat(14)).append("|").append("-".repeat(14)).append("|")
                .append("-".repeat(9)).append("|").append("-".repeat(24)).append("|").append("-".repeat(12)).append("|\n");
        for (Comparison c : comparisons) {
            sb.append(String.format(Locale.ROOT, "| %-34s | %-28s | %-28s | %-15s | %12.3f | %12.3f | %7.3f | %-22s | %-10s |%n",
                    c.name, c.contender, c.baseline, c.metric, c.value, c.baselineValue, c.ratio,
                    String.format(Locale.ROOT, "%.3f..%.3f", c.min, c.max), c.target == null ? "" : c.target));
        }
        if (!figures.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%n| %-34s | %-28s | %-15s | %12s | %-22s |%n", "figure", "of", "metric", "value", "min..max"));
            sb.append("|").append("-".repeat(36)).append("|").append("-".repeat(30)).append("|").append("-".repeat(17)).append("|")
                    .append("-".repeat(14)).append("|").append("-".repeat(24)).append("|\n");
            for (Figure f : figures) {
                sb.append(String.format(Locale.ROOT, "| %-34s | %-28s | %-15s | %12.3f | %-22s |%n", f.name, f.contender, f.metric, f.value,
                        String.format(Locale.ROOT, "%.3f..%.3f", f.min, f.max)));
            }
        }
        return sb.toString();
    }

    void write(Path dir, String header, String date) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(date + ".md"), header + "\n" + table());
        List<Map<String, Object>> json = new ArrayList<>();
        for (Comparison c : comparisons) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name);
            m.put("contender", c.contender);
            m.put("baseline", c.baseline);
            m.put("metric", c.metric);
            m.put("value", c.value);
            m.put("baseline_value", c.baselineValue);
            m.put("ratio", c.ratio);
            json.add(m);
        }
        for (Figure f : figures) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", f.name);
            m.put("contender", f.contender);
            m.put("baseline", null);
            m.put("metric", f.metric);
            m.put("value", f.value);
            m.put("baseline_value", null);
            m.put("ratio", null);
            json.add(m);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("latest.json").toFile(), json);
    }
}
