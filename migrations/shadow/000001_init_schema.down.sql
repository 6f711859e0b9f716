-- Reverses 000001_init_schema.up.sql, in reverse order. DROP TABLE also drops the table's indexes.

DROP VIEW shadow.divergence_summary;

DROP TABLE shadow.metrics;

DROP TABLE shadow.evaluations;
