-- Reverses 000002_add_indexes.up.sql, in reverse order.

DROP INDEX credits.transactions_created_at_brin;

DROP INDEX credits.transactions_reference_id_idx;

DROP INDEX credits.transactions_idempotency_key_key;

DROP INDEX credits.transactions_credit_id_created_at_idx;
