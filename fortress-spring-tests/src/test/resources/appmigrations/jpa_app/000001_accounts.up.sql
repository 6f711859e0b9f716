CREATE TABLE accounts (
    id      bigserial PRIMARY KEY,
    owner   text NOT NULL,
    balance bigint NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 0
);
CREATE SEQUENCE note_seq;
CREATE TABLE notes (
    id   bigint PRIMARY KEY,
    body text NOT NULL
);
