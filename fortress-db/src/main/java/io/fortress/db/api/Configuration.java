package io.fortress.db.api;

import java.util.Map;

/**
 * What {@link DbConfig} and the migration and backup configurations share: the immutable values of one
 * group of {@link Setting}s, each what was given (checked) or its default, and a builder that takes
 * them from code or from environment variables. Each configuration adds typed accessors, typed builder
 * methods and its checks across settings.
 */
public abstract class Configuration {
    private final SettingValues values;

    /** The values the builder collected, each checked on its own; the subclass then checks them together. */
    protected Configuration(Builder<?, ?> builder) {
        this.values = builder.draft.resolve();
    }

    /** The value of any setting of this configuration (the default when it was not given). */
    public final <T> T get(Setting<T> setting) {
        return values.get(setting);
    }

    /**
     * The value of a setting as it takes effect: what was given, else its default, which a setting made with
     * {@link Setting#whenUnset} derives from the others (an unset {@code healthTimeout} follows {@code healthInterval}).
     */
    public final <T> T effective(Setting<T> setting) {
        T value = values.get(setting);
        return value != null ? value : setting.unsetValue(this);
    }

    /** Every setting and its value, in the settings table's order; secrets show as {@code <redacted>}. */
    @Override
    public String toString() {
        return values.describe(getClass().getSimpleName());
    }

    /**
     * Collects settings; {@code build()} validates them all at once.
     *
     * @param <B> the builder
     * @param <C> the configuration it builds
     */
    public abstract static class Builder<B extends Builder<B, C>, C extends Configuration> {
        private final SettingValues.Draft draft;

        /** A builder of the given settings, starting from {@code from}'s values, or from every default when it is null. */
        protected Builder(java.util.List<Setting<?>> settings, C from) {
            this.draft = from == null ? SettingValues.draft(settings) : ((Configuration) from).values.toDraft();
        }

        /**
         * Sets any of this configuration's settings; null returns it to its default.
         *
         * @throws IllegalArgumentException when the setting is not one of this configuration's
         */
        public final <T> B set(Setting<T> setting, T value) {
            draft.set(setting, value);
            return self();
        }

        /**
         * Applies every setting whose variable is set (and not empty) in the given environment.
         *
         * @throws DbConfigException naming the first variable whose value is refused
         */
        public final B applyEnv(Map<String, String> environment) {
            draft.applyEnv(environment);
            return self();
        }

        /**
         * Validates every setting and their combinations.
         *
         * @throws DbConfigException naming the first refused setting and what is accepted
         */
        public abstract C build();

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }
    }
}
