package io.fortress.db.api;

/** Work done inside a transaction that returns nothing; returning commits, throwing rolls back. */
@FunctionalInterface
public interface TransactionWork {
    void run(Transaction tx) throws Exception;
}
