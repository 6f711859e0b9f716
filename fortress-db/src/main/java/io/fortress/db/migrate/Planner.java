package io.fortress.db.migrate;

import java.util.ArrayList;
import java.util.List;

/**
 * Which files run, in which order, for each operation: golang-migrate's walk over the versions of
 * the source (readUp, readDown, read), decided completely before anything runs.
 */
record Planner(MigrationCatalog catalog, boolean allowMissingDown) {
    /**
     * One file to run (or, for a version without a file in that direction, only a version move).
     *
     * @param migration the version whose file runs
     * @param direction up or down
     * @param from      the version before
     * @param to        the version after
     */
    record Step(Migration migration, Direction direction, long from, long to) {
        Script script() {
            return migration.script(direction);
        }

        /** How the file runs; {@link Script.Analysis#NOTHING} for a version without a file in this direction. */
        Script.Analysis analysis() {
            Script script = script();
            return script == null ? Script.Analysis.NOTHING : script.analysis();
        }
    }

    /**
     * Steps and how many were asked for but do not exist (golang-migrate's ErrShortLimit).
     */
    record Plan(List<Step> steps, int shortBy) {
    }

    /** Every version above the current one. */
    Plan up(long from) {
        List<Step> steps = new ArrayList<>();
        for (Long next = catalog.next(from); next != null; next = catalog.next(next)) {
            steps.add(up(next, steps.isEmpty() ? from : steps.get(steps.size() - 1).to()));
        }
        return new Plan(steps, 0);
    }

    /** Every version down to nil. */
    Plan downAll(long from) {
        List<Step> steps = new ArrayList<>();
        for (long current = from; current != -1; current = catalog.previous(current)) {
            steps.add(down(current));
        }
        return new Plan(steps, 0);
    }

    /** n versions up (n > 0) or down (n < 0); applies what exists when fewer remain. */
    Plan steps(long from, int n) {
        if (n == 0) {
            return new Plan(List.of(), 0);
        }
        List<Step> steps = new ArrayList<>();
        long current = from;
        int wanted = Math.abs(n);
        while (steps.size() < wanted) {
            if (n > 0) {
                Long next = catalog.next(current);
                if (next == null) {
                    break;
                }
                steps.add(up(next, current));
                current = next;
            } else {
                if (current == -1) {
                    break;
                }
                Step step = down(current);
                steps.add(step);
                current = step.to();
            }
        }
        if (steps.isEmpty()) {
            throw new MigrationNotFoundException(n > 0
                    ? "no migration to apply above version " + display(from) + " in " + catalog.source() + " (file does not exist)"
                    : "no migration to roll back: the database is at the nil version (file does not exist)");
        }
        return new Plan(steps, wanted - steps.size());
    }

    /** Up or down to a version that must exist in the source; -1 means all the way down. */
    Plan migrate(long from, long target) {
        if (target == -1) {
            return downAll(from);
        }
        if (!catalog.contains(target)) {
            throw new MigrationNotFoundException("no migration found for version " + target + " in " + catalog.source()
                    + " (file does not exist); the versions are " + versions());
        }
        List<Step> steps = new ArrayList<>();
        long current = from;
        if (target > from) {
            while (current != target) {
                long next = catalog.next(current);
                steps.add(up(next, current));
                current = next;
            }
        } else {
            while (current > target) {
                Step step = down(current);
                steps.add(step);
                current = step.to();
            }
        }
        return new Plan(steps, 0);
    }

    private Step up(long version, long from) {
        return new Step(catalog.get(version), Direction.UP, from, version);
    }

    private Step down(long version) {
        Migration m = catalog.get(version);
        if (m == null) {
            throw new MigrationNotFoundException(Validator.unknownVersionMessage(catalog, version));
        }
        if (m.down() == null && !allowMissingDown) {
            throw new IrreversibleMigrationException(version, "version " + version + " (" + m.displayName() + ") has no down file, so it "
                    + "cannot be rolled back and nothing was run; add a down file (holding only a comment if there is nothing to undo), "
                    + "or set allowMissingDown (" + MigrationSettings.ALLOW_MISSING_DOWN.variable() + "=true) to move past it without running anything, as "
                    + "golang-migrate does");
        }
        return new Step(m, Direction.DOWN, version, catalog.previous(version));
    }

    private String versions() {
        List<Long> all = catalog.all().stream().map(Migration::version).toList();
        return all.isEmpty() ? "none" : all.toString();
    }

    static String display(long version) {
        return version == -1 ? "nil" : Long.toString(version);
    }
}
