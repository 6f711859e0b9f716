package io.fortress.db.api;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The values of one group of {@link Setting}s, every one resolved to what was given or its default
 * and checked. It is the single mechanism behind {@link DbConfig} and the migration and backup
 * configurations, which add typed accessors and checks across settings on top of it.
 */
final class SettingValues {
    private final List<Setting<?>> settings;
    private final Map<Setting<?>, Object> values;

    private SettingValues(List<Setting<?>> settings, Map<Setting<?>, Object> values) {
        this.settings = settings;
        this.values = Collections.unmodifiableMap(values);
    }

    /** A draft of the given group with nothing set: every setting at its default. */
    static Draft draft(List<Setting<?>> settings) {
        return new Draft(settings);
    }

    /** The value of a setting of this group (its default when none was given). */
    @SuppressWarnings("unchecked")
    <T> T get(Setting<T> setting) {
        return (T) values.get(setting);
    }

    /** A draft holding these values, to derive other values from. */
    Draft toDraft() {
        Draft draft = new Draft(settings);
        draft.given.putAll(values);
        return draft;
    }

    /** {@code owner{name=value, ...}} in the group's order; secrets show as {@code <redacted>}. */
    String describe(String owner) {
        return settings.stream()
                .map(s -> s.name() + "=" + s.display(values.get(s)))
                .collect(Collectors.joining(", ", owner + "{", "}"));
    }

    /** Values being collected; {@link #resolve()} checks them all at once. */
    static final class Draft {
        private final List<Setting<?>> settings;
        private final Map<Setting<?>, Object> given = new IdentityHashMap<>();

        private Draft(List<Setting<?>> settings) {
            this.settings = List.copyOf(settings);
        }

        /**
         * Gives a setting a value; null returns it to its default.
         *
         * @throws IllegalArgumentException if the setting is not one of this group
         */
        <T> void set(Setting<T> setting, T value) {
            if (!settings.contains(setting)) {
                throw new IllegalArgumentException(setting.name() + " is not one of the settings configured here: "
                        + settings.stream().map(Setting::name).collect(Collectors.joining(", ")));
            }
            if (value == null) {
                given.remove(setting);
            } else {
                given.put(setting, value);
            }
        }

        /**
         * Gives every setting whose variable is set, and not empty, in the environment the value parsed
         * from it.
         *
         * @throws DbConfigException naming the first variable whose value is refused
         */
        void applyEnv(Map<String, String> environment) {
            for (Setting<?> setting : settings) {
                String raw = setting.variable() == null ? null : environment.get(setting.variable());
                if (raw != null && setting.isSecret() && !raw.isEmpty() && raw.isBlank()) {
                    throw new DbConfigException(setting.variable() + " holds only white space; set the password itself, "
                            + "or leave the variable empty or unset for no password");
                }
                if (raw != null && !raw.isBlank()) {
                    given.put(setting, setting.parseVariable(raw));
                }
            }
        }

        /**
         * Every setting's value: the one given, checked, or the default.
         *
         * @throws DbConfigException naming the first setting whose value is refused
         */
        SettingValues resolve() {
            Map<Setting<?>, Object> resolved = new IdentityHashMap<>();
            for (Setting<?> setting : settings) {
                resolved.put(setting, resolve(setting));
            }
            return new SettingValues(settings, resolved);
        }

        private <T> T resolve(Setting<T> setting) {
            @SuppressWarnings("unchecked")
            T value = (T) given.get(setting);
            if (value == null) {
                return setting.defaultValue();
            }
            setting.check(value);
            return value;
        }
    }
}
