CREATE TABLE orders (id bigserial PRIMARY KEY, item text NOT NULL);
INSERT INTO orders (item) VALUES ('first');
