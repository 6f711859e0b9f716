-- Reverses 000001_init_schema.up.sql, in reverse order. DROP TABLE also drops the table's indexes
-- and triggers, so the trigger function goes last.

DROP TABLE credits.transactions;

DROP TABLE credits.credits;

DROP FUNCTION credits.set_updated_at();
