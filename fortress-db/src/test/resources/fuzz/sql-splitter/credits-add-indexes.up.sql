-- Indexes for the ledger's queries. Plain CREATE INDEX in one transaction: the tables are new. To add an
-- index to a large, busy table later, put a single CREATE INDEX CONCURRENTLY in a migration of its own.

-- An account's history, newest first (also serves the foreign key on delete of a balance).
CREATE INDEX transactions_credit_id_created_at_idx ON credits.transactions (credit_id, created_at DESC);

-- A retried request carries the same idempotency key and cannot be booked twice.
CREATE UNIQUE INDEX transactions_idempotency_key_key ON credits.transactions (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The transactions of an order, job or invoice.
CREATE INDEX transactions_reference_id_idx ON credits.transactions (reference_id)
    WHERE reference_id IS NOT NULL;

-- Time-range reports over the append-only ledger; a BRIN index stays tiny because rows arrive in time order.
CREATE INDEX transactions_created_at_brin ON credits.transactions USING brin (created_at);
