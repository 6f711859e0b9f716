CREATE TABLE orders (
    id         bigserial PRIMARY KEY,
    item       text NOT NULL CHECK (item <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
