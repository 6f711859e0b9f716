-- Credits service: account balances and the ledger of transactions that move them.
-- Runs in schema credits. Names are schema-qualified so the file means the same under golang-migrate
-- with any search_path. Nothing is granted here: docs/migrations.md grants each service role what it needs.

CREATE TABLE credits.credits (
    id         uuid           PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id text           NOT NULL,
    balance    numeric(20, 4) NOT NULL DEFAULT 0,
    reserved   numeric(20, 4) NOT NULL DEFAULT 0,
    created_at timestamptz    NOT NULL DEFAULT now(),
    updated_at timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT credits_account_id_key UNIQUE (account_id),
    CONSTRAINT credits_balance_non_negative CHECK (balance >= 0),
    CONSTRAINT credits_reserved_non_negative CHECK (reserved >= 0),
    CONSTRAINT credits_reserved_within_balance CHECK (reserved <= balance)
);

COMMENT ON TABLE credits.credits IS 'One balance per account; reserved is the part of balance held for pending work';

CREATE TABLE credits.transactions (
    id              uuid           PRIMARY KEY DEFAULT gen_random_uuid(),
    credit_id       uuid           NOT NULL,
    type            text           NOT NULL,
    amount          numeric(20, 4) NOT NULL,
    reference_id    text,
    idempotency_key text,
    description     text,
    metadata        jsonb          NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT transactions_credit_id_fkey FOREIGN KEY (credit_id) REFERENCES credits.credits (id) ON DELETE RESTRICT,
    CONSTRAINT transactions_type_check CHECK (type IN ('credit', 'debit', 'reserve', 'release')),
    CONSTRAINT transactions_amount_positive CHECK (amount > 0)
);

COMMENT ON TABLE credits.transactions IS 'Append-only ledger: credit and debit move balance, reserve and release move reserved';

-- updated_at follows every change of a balance, whatever the statement sets it to.
CREATE FUNCTION credits.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION credits.set_updated_at() FROM PUBLIC;

CREATE TRIGGER credits_set_updated_at
    BEFORE UPDATE ON credits.credits
    FOR EACH ROW EXECUTE FUNCTION credits.set_updated_at();
