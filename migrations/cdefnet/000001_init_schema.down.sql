-- Reverses 000001_init_schema.up.sql, in reverse order. DROP TABLE also drops the table's indexes,
-- row-level security policies and triggers.

DROP FUNCTION cdefnet.search_audit_log(jsonb);

DROP FUNCTION cdefnet.cleanup_expired_iocs();

DROP TABLE cdefnet.audit_log;

DROP TABLE cdefnet.iocs;
