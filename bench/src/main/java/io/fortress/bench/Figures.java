package io.fortress.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Several rounds of one metric: the median, with the smallest and largest. */
final class Figures {
    private final List<Double> values = new ArrayList<>();

    void add(double value) {
        values.add(value);
    }

    /** The value added last (NaN when none). */
    double last() {
        return values.isEmpty() ? Double.NaN : values.get(values.size() - 1);
    }

    boolean isEmpty() {
        return values.isEmpty();
    }

    double median() {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    double min() {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    double max() {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    @Override
    public String toString() {
        return Arrays.toString(values.toArray());
    }
}
