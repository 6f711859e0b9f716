package io.fortress.db.api;

/**
 * Work done inside a transaction; returning commits, throwing rolls back.
 *
 * @param <T> the result handed back to the caller
 */
@FunctionalInterface
public interface TransactionCallback<T> {
    T run(Transaction tx) throws Exception;
}
