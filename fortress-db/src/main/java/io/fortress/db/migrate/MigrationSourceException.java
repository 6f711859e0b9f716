package io.fortress.db.migrate;

import java.util.List;

/** The migration files cannot be used: unreadable, malformed or duplicate names, or not UTF-8. Lists every problem. */
public class MigrationSourceException extends MigrationException {
    private static final long serialVersionUID = 1L;
    private final transient List<String> problems;

    MigrationSourceException(String source, List<String> problems, Throwable cause) {
        super("the migrations in " + source + " cannot be used: " + String.join("; ", problems), cause);
        this.problems = List.copyOf(problems);
    }

    /** Each problem, naming its file. */
    public List<String> problems() {
        return problems;
    }
}
