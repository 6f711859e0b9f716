-- Reverses 000001_init_schema.up.sql, in reverse order.

DROP TRIGGER credits_set_updated_at ON credits.credits;

DROP FUNCTION credits.set_updated_at();

DROP TABLE credits.transactions;

DROP TABLE credits.credits;
