package io.fortress.db.migrate;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One migration file: its text, checksum and how it runs.
 *
 * @param fileName the file's name in the source
 * @param version  the version its name gives
 * @param text     the file's text, exactly as its bytes decode (see {@link SqlText}); statements run as they appear in it
 * @param checksum the SHA-256 of the text with line endings normalised
 * @param analysis its statements, how they run and the lint findings, computed once
 */
record Script(String fileName, long version, String text, String checksum, Analysis analysis) {
    /** A comment line that makes a file run statement by statement outside a transaction; golang-migrate ignores it. */
    private static final Pattern NO_TRANSACTION = Pattern.compile("(?im)^[ \\t]*--[ \\t]*migrate:no-transaction[ \\t]*$");

    static Script of(String fileName, long version, String text) {
        return new Script(fileName, version, text, SqlText.checksum(text), analyse(fileName, version, text));
    }

    /**
     * Splits the file and decides how it runs:
     * <ul>
     * <li>no statement that needs to be outside a transaction and no transaction control: in one transaction;</li>
     * <li>wrapped in one top-level BEGIN ... COMMIT (golang-migrate's advice): the wrapper is dropped
     *     and the rest runs in the engine's transaction;</li>
     * <li>anything else with transaction control, a statement PostgreSQL refuses in a transaction, or the
     *     {@code -- migrate:no-transaction} comment: statement by statement, outside a transaction.</li>
     * </ul>
     */
    private static Analysis analyse(String fileName, long version, String text) {
        List<SqlStatement> statements;
        try {
            statements = SqlSplitter.split(text);
        } catch (IllegalArgumentException e) {
            return new Analysis(List.of(), TransactionMode.NONE, List.of(
                    Finding.error(Finding.Kind.UNPARSABLE, version, fileName, fileName + " cannot be split into statements: " + e.getMessage())));
        }
        List<Finding> findings = new ArrayList<>();
        boolean optedOut = NO_TRANSACTION.matcher(text).find();
        List<SqlStatement> nonTransactional = statements.stream().filter(StatementRules::cannotRunInTransaction).toList();
        List<SqlStatement> control = statements.stream().filter(StatementRules::controlsTransaction).toList();
        for (SqlStatement s : statements) {
            lint(fileName, version, s, findings);
        }
        if (!nonTransactional.isEmpty() && statements.size() > 1 && !optedOut) {
            SqlStatement first = nonTransactional.get(0);
            findings.add(Finding.error(Finding.Kind.NON_TRANSACTIONAL_MIXED, version, fileName, fileName + ": statement " + first.index()
                    + " at line " + first.line() + " (" + first.abbreviated() + ") cannot run in a transaction, so it must be alone in its file"
                    + " (golang-migrate runs a file as one implicit transaction, where it fails); move it to a migration of its own,"
                    + " or put the line '-- migrate:no-transaction' in this file to run it statement by statement without a transaction"));
        }
        if (optedOut || !nonTransactional.isEmpty()) {
            return new Analysis(statements, TransactionMode.NONE, findings);
        }
        if (control.isEmpty()) {
            return new Analysis(statements, TransactionMode.TRANSACTION, findings);
        }
        boolean wrapped = control.size() == 2 && statements.size() >= 2
                && StatementRules.isBareBegin(statements.get(0)) && StatementRules.isBareCommit(statements.get(statements.size() - 1));
        if (wrapped) {
            return new Analysis(statements.subList(1, statements.size() - 1), TransactionMode.TRANSACTION, findings);
        }
        return new Analysis(statements, TransactionMode.NONE, findings);
    }

    private static void lint(String fileName, long version, SqlStatement s, List<Finding> findings) {
        String where = fileName + ": statement " + s.index() + " at line " + s.line() + " (" + s.abbreviated() + ")";
        if (StatementRules.releasesLock(s)) {
            findings.add(Finding.error(Finding.Kind.RELEASES_LOCK, version, fileName, where
                    + " would release the migration's advisory lock and let another migrator run at the same time; remove it"));
        }
        if (StatementRules.isPsqlMetaCommand(s)) {
            findings.add(Finding.error(Finding.Kind.PSQL_META_COMMAND, version, fileName, where
                    + " holds a backslash outside any string: a psql meta-command, which only psql understands; write it as SQL"));
        }
        if (StatementRules.copiesFromStdin(s)) {
            findings.add(Finding.error(Finding.Kind.COPY_FROM_STDIN, version, fileName, where
                    + " reads COPY data from standard input, which needs psql; use INSERT ... VALUES or load the data outside the migration"));
        }
    }

    /**
     * How a file runs.
     *
     * @param statements the statements to execute, in order (without a dropped BEGIN ... COMMIT wrapper)
     * @param mode       in a transaction or not
     * @param findings   lint findings about the file
     */
    record Analysis(List<SqlStatement> statements, TransactionMode mode, List<Finding> findings) {
        /** A version without a file in that direction: nothing runs, and only the version moves (in a transaction). */
        static final Analysis NOTHING = new Analysis(List.of(), TransactionMode.TRANSACTION, List.of());
    }
}
