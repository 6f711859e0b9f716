-- Reverses 000001_init_schema.up.sql, in reverse order.

DROP FUNCTION cdefnet.search_audit_log(jsonb);

DROP FUNCTION cdefnet.cleanup_expired_iocs();

DROP POLICY audit_log_tenant_isolation ON cdefnet.audit_log;

ALTER TABLE cdefnet.audit_log DISABLE ROW LEVEL SECURITY;

DROP INDEX cdefnet.audit_log_details_gin;

DROP INDEX cdefnet.audit_log_tenant_created_at_idx;

DROP TABLE cdefnet.audit_log;

DROP POLICY iocs_tenant_isolation ON cdefnet.iocs;

ALTER TABLE cdefnet.iocs DISABLE ROW LEVEL SECURITY;

DROP INDEX cdefnet.iocs_metadata_gin;

DROP INDEX cdefnet.iocs_expires_at_idx;

DROP TABLE cdefnet.iocs;
