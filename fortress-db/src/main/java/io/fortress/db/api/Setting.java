package io.fortress.db.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One configuration setting, defined once: its name, environment variable, default, what values are
 * accepted, and what it means. {@link DbSettings} holds every setting of a {@link DbConfig}.
 *
 * @param <T> the setting's Java type
 */
public final class Setting<T> {
    private final String name;
    private final String variable;
    private final T defaultValue;
    private final Function<String, T> parser;
    private final Predicate<T> check;
    private final String accepted;
    private final String description;
    private final boolean secret;
    private final Function<Configuration, T> whenUnset;

    private Setting(String name, String variable, T defaultValue, Function<String, T> parser, Predicate<T> check,
                    String accepted, String description, boolean secret, Function<Configuration, T> whenUnset) {
        this.name = Objects.requireNonNull(name);
        this.variable = variable;
        this.defaultValue = defaultValue;
        this.parser = Objects.requireNonNull(parser);
        this.check = Objects.requireNonNull(check);
        this.accepted = Objects.requireNonNull(accepted);
        this.description = Objects.requireNonNull(description);
        this.secret = secret;
        this.whenUnset = whenUnset;
    }

    /** A setting of any type; {@code parser} throws IllegalArgumentException explaining a malformed value. */
    public static <T> Setting<T> of(String name, String variable, T defaultValue, Function<String, T> parser,
                                    Predicate<T> check, String accepted, String description) {
        return new Setting<>(name, variable, defaultValue, parser, check, accepted, description, false, null);
    }

    public static Setting<Integer> integer(String name, String variable, Integer defaultValue, int min, int max, String description) {
        return of(name, variable, defaultValue, Setting::parseInt, v -> v >= min && v <= max,
                "an integer from " + min + " to " + max, description);
    }

    public static Setting<Duration> duration(String name, String variable, Duration defaultValue, Predicate<Duration> check,
                                      String accepted, String description) {
        return of(name, variable, defaultValue, Durations::parse, check, accepted, description);
    }

    /**
     * A PostgreSQL timeout ({@code statement_timeout}, {@code lock_timeout}, pg_dump's lock wait), which is taken in
     * whole milliseconds up to 2^31-1: 0 for no limit, else 1ms to 596h in whole milliseconds. A
     * shorter or finer duration is refused, never rounded (500us would otherwise become 0, no limit).
     */
    public static Setting<Duration> serverTimeout(String name, String variable, String description) {
        return serverTimeout(name, variable, Duration.ZERO, description);
    }

    /** A PostgreSQL timeout with another default than 0; see {@link #serverTimeout(String, String, String)}. */
    public static Setting<Duration> serverTimeout(String name, String variable, Duration defaultValue, String description) {
        return duration(name, variable, defaultValue, Setting::validServerTimeout,
                "0 (no limit) or from 1ms to 596h in whole milliseconds", description);
    }

    private static boolean validServerTimeout(Duration d) {
        return d.isZero() || !d.isNegative() && d.getNano() % 1_000_000 == 0 && d.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) <= 0;
    }

    public static Setting<String> text(String name, String variable, String defaultValue, String description) {
        return of(name, variable, defaultValue, s -> s, s -> !s.isBlank(), "a non-empty text", description);
    }

    public static Setting<Path> file(String name, String variable, String description) {
        return of(name, variable, null, Path::of, p -> !p.toString().isBlank(), "the path of a readable file", description);
    }

    public static Setting<Boolean> bool(String name, String variable, boolean defaultValue, String description) {
        return of(name, variable, defaultValue, Setting::parseBoolean, v -> true, "true or false", description);
    }

    public static Setting<Secret> secret(String name, String variable, String description) {
        return new Setting<>(name, variable, null, Secret::of, v -> true, "any text", description, true, null);
    }

    /**
     * This setting without a fixed default: when unset, its value is {@code value} of the other settings of its configuration
     * ({@link Configuration#effective}). {@code rule} says the same in words and ends the description ("; unset: rule"), so
     * that the rule and its documentation are stated side by side, once.
     */
    public Setting<T> whenUnset(String rule, Function<Configuration, T> value) {
        if (defaultValue != null) {
            throw new IllegalStateException(name + " has a fixed default");
        }
        return new Setting<>(name, variable, null, parser, check, accepted, description + "; unset: " + rule, secret,
                Objects.requireNonNull(value));
    }

    /** The value of this setting when it is unset in {@code config}: its fixed default, or the one it derives from the others. */
    T unsetValue(Configuration config) {
        return whenUnset == null ? defaultValue : whenUnset.apply(config);
    }

    /** The name used in code and messages, e.g. {@code maxOpenConns}. */
    public String name() {
        return name;
    }

    /** The environment variable read by {@link DbConfig#fromEnv()}, e.g. {@code DB_MAX_OPEN_CONNS}. */
    public String variable() {
        return variable;
    }

    /** The value used when none is given; null when the setting is unset by default. */
    public T defaultValue() {
        return defaultValue;
    }

    /** What values are accepted, e.g. "an integer from 1 to 10000". */
    public String accepted() {
        return accepted;
    }

    public String description() {
        return description;
    }

    /** True for passwords: their values never appear in messages or {@code toString}. */
    public boolean isSecret() {
        return secret;
    }

    /**
     * Parses and checks a value read from this setting's environment variable.
     *
     * @throws DbConfigException naming the variable, the value (unless secret) and what is accepted
     */
    public T parseVariable(String raw) {
        T value;
        try {
            // a secret is taken as it is: spaces at its ends may be part of it
            value = parser.apply(secret ? raw : raw.strip());
        } catch (IllegalArgumentException e) {
            // the parser's reason quotes the value, maybe rewritten (Path.of makes :// into :/): never with credentials
            String shown = shown(raw);
            String reason = secret || !shown.equals(raw) ? "not shown, as it would repeat the credentials" : e.getMessage();
            throw new DbConfigException(variable + "=" + shown + " is invalid: " + reason
                    + "; expected " + accepted + " (" + name + ": " + description + ")");
        }
        if (!check.test(value)) {
            throw new DbConfigException(variable + "=" + shown(raw) + " is invalid: expected " + accepted
                    + " (" + name + ": " + description + ")");
        }
        return value;
    }

    /**
     * Checks a value given in code.
     *
     * @throws DbConfigException naming the setting, the value (unless secret) and what is accepted
     */
    public void check(T value) {
        if (value != null && !check.test(value)) {
            throw new DbConfigException(name + " = " + display(value) + " is invalid: expected " + accepted
                    + (variable == null ? "" : " (environment variable " + variable + ")"));
        }
    }

    /** The value as messages and {@code toString} show it: durations Go-style, secrets redacted, an empty Optional as none. */
    public String display(Object value) {
        if (value == null) {
            return "(unset)";
        }
        if (secret) {
            return "<redacted>";
        }
        if (value instanceof Duration d) {
            return Durations.format(d);
        }
        if (value instanceof java.util.Collection<?> c) {
            return String.join(",", c.stream().map(String::valueOf).toList());
        }
        if (value instanceof java.util.Optional<?> o) {
            return o.map(this::display).orElse("none");
        }
        return String.valueOf(value);
    }

    /** A refused value as its message shows it: a secret not at all, credentials in a URL ({@code scheme://user:pass@}) masked. */
    private String shown(String raw) {
        return secret ? "<redacted>" : masked(raw);
    }

    /**
     * Text with everything from a {@code //} (of {@code scheme://} or a scheme-relative {@code //user:pass@host}) to the last
     * {@code @} masked: a password may itself hold '/', ' ' or '@'.
     */
    private static String masked(String text) {
        return text == null ? null : text.replaceAll("(?s)(//).*@", "$1<redacted>@");
    }

    private static Integer parseInt(String s) {
        try {
            return Integer.valueOf(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not an integer");
        }
    }

    private static Boolean parseBoolean(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new IllegalArgumentException("'" + s + "' is not a boolean");
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
