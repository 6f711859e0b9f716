package io.fortress.db.migrate;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What PostgreSQL allows where: the statements that cannot run inside a transaction block, the
 * statements that control transactions, and the statements a migration must not contain.
 */
final class StatementRules {
    private StatementRules() {
    }

    /** Statements PostgreSQL refuses inside a transaction block (SQLSTATE 25001). */
    private static final List<Pattern> NON_TRANSACTIONAL = List.of(
            Pattern.compile("^CREATE (UNIQUE )?INDEX CONCURRENTLY\\b"),
            Pattern.compile("^DROP INDEX CONCURRENTLY\\b"),
            Pattern.compile("^REINDEX\\b.*\\bCONCURRENTLY\\b"),
            Pattern.compile("^REINDEX (\\([^)]*\\) )?(VERBOSE )?(SCHEMA|DATABASE|SYSTEM)\\b"),
            Pattern.compile("^ALTER TABLE\\b.*\\bDETACH PARTITION\\b.*\\bCONCURRENTLY\\b"),
            Pattern.compile("^VACUUM\\b"),
            Pattern.compile("^CLUSTER( VERBOSE)?$"),
            Pattern.compile("^(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)\\b"),
            Pattern.compile("^ALTER SUBSCRIPTION\\b.*\\b(REFRESH PUBLICATION|SET PUBLICATION|ADD PUBLICATION|DROP PUBLICATION)\\b"),
            Pattern.compile("^ALTER SYSTEM\\b"),
            Pattern.compile("^DISCARD ALL\\b"));

    private static final Pattern BARE_BEGIN = Pattern.compile("^(BEGIN( TRANSACTION| WORK)?|START TRANSACTION)$");
    private static final Pattern BARE_COMMIT = Pattern.compile("^(COMMIT|END)( TRANSACTION| WORK)?$");
    private static final Pattern TRANSACTION_CONTROL = Pattern.compile(
            "^(BEGIN|START TRANSACTION|COMMIT|END|ABORT|PREPARE TRANSACTION)\\b|^ROLLBACK\\b(?! (TRANSACTION |WORK )?TO\\b)");
    private static final Pattern COPY_FROM_STDIN = Pattern.compile("^COPY\\b.*\\bFROM STDIN\\b");

    /** True when PostgreSQL refuses the statement inside a transaction block. */
    static boolean cannotRunInTransaction(SqlStatement s) {
        return NON_TRANSACTIONAL.stream().anyMatch(p -> p.matcher(s.shape()).find());
    }

    /** BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK (not ROLLBACK TO SAVEPOINT), ABORT, PREPARE TRANSACTION, COMMIT PREPARED. */
    static boolean controlsTransaction(SqlStatement s) {
        return TRANSACTION_CONTROL.matcher(s.shape()).find();
    }

    /** BEGIN without options, as the first statement of a file wrapped in BEGIN ... COMMIT. */
    static boolean isBareBegin(SqlStatement s) {
        return BARE_BEGIN.matcher(s.shape()).matches();
    }

    /** COMMIT or END, as the last statement of a file wrapped in BEGIN ... COMMIT. */
    static boolean isBareCommit(SqlStatement s) {
        return BARE_COMMIT.matcher(s.shape()).matches();
    }

    /** DISCARD ALL or pg_advisory_unlock_all(), which would release the migration lock. */
    static boolean releasesLock(SqlStatement s) {
        return s.shape().startsWith("DISCARD ALL") || s.shape().contains("PG_ADVISORY_UNLOCK_ALL")
                || s.bodies().toUpperCase(Locale.ROOT).contains("PG_ADVISORY_UNLOCK_ALL");
    }

    /** A backslash outside every literal: a psql meta-command such as {@code \connect} or {@code \i}. */
    static boolean isPsqlMetaCommand(SqlStatement s) {
        return s.shape().indexOf('\\') >= 0;
    }

    static boolean copiesFromStdin(SqlStatement s) {
        return COPY_FROM_STDIN.matcher(s.shape()).find();
    }
}
