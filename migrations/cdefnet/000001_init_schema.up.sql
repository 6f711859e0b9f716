-- CDefNet service: indicators of compromise (IOCs) that expire, and an audit log, both isolated per tenant.
--
-- Tenant identifiers never reach the database: the service stores and filters by a 64-hex-digit hash of
-- the tenant (e.g. HMAC-SHA-256 with a key of its own) and, for each transaction, sets
--   SELECT set_config('cdefnet.tenant_hash', <hash>, true);
-- Row-level security then shows and accepts only that tenant's rows. Roles that own the tables bypass it
-- (no FORCE), which lets the cleanup function, owned by the migrating role, remove expired rows of all tenants.
-- Runs in schema cdefnet; nothing is granted here (see docs/migrations.md).

CREATE TABLE cdefnet.iocs (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_hash text        NOT NULL,
    type        text        NOT NULL,
    value       text        NOT NULL,
    severity    text        NOT NULL DEFAULT 'medium',
    confidence  smallint    NOT NULL DEFAULT 50,
    source      text,
    metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL DEFAULT now() + interval '30 days',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT iocs_tenant_hash_format CHECK (tenant_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT iocs_type_check CHECK (type IN ('ip', 'cidr', 'domain', 'url', 'file_hash', 'email')),
    CONSTRAINT iocs_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT iocs_confidence_range CHECK (confidence BETWEEN 0 AND 100),
    CONSTRAINT iocs_expires_after_first_seen CHECK (expires_at > first_seen),
    CONSTRAINT iocs_tenant_type_value_key UNIQUE (tenant_hash, type, value)
);

COMMENT ON TABLE cdefnet.iocs IS 'Indicators of compromise per tenant hash; a row lives until expires_at (its TTL)';

CREATE INDEX iocs_expires_at_idx ON cdefnet.iocs (expires_at);

CREATE INDEX iocs_metadata_gin ON cdefnet.iocs USING gin (metadata jsonb_path_ops);

ALTER TABLE cdefnet.iocs ENABLE ROW LEVEL SECURITY;

CREATE POLICY iocs_tenant_isolation ON cdefnet.iocs
    USING (tenant_hash = current_setting('cdefnet.tenant_hash', true))
    WITH CHECK (tenant_hash = current_setting('cdefnet.tenant_hash', true));

CREATE TABLE cdefnet.audit_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_hash text        NOT NULL,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    target_type text,
    target_id   text,
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_log_tenant_hash_format CHECK (tenant_hash ~ '^[0-9a-f]{64}$')
);

COMMENT ON TABLE cdefnet.audit_log IS 'Who did what to which object, per tenant hash, with JSONB details';

CREATE INDEX audit_log_tenant_created_at_idx ON cdefnet.audit_log (tenant_hash, created_at DESC);

-- Containment queries on the details (details @> '{"ip": "203.0.113.7"}').
CREATE INDEX audit_log_details_gin ON cdefnet.audit_log USING gin (details jsonb_path_ops);

ALTER TABLE cdefnet.audit_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY audit_log_tenant_isolation ON cdefnet.audit_log
    USING (tenant_hash = current_setting('cdefnet.tenant_hash', true))
    WITH CHECK (tenant_hash = current_setting('cdefnet.tenant_hash', true));

-- Deletes the indicators whose TTL has passed, of every tenant, and returns how many it deleted. Runs with
-- the rights of its owner (the migrating role, which owns iocs) so a maintenance role needs only EXECUTE.
CREATE FUNCTION cdefnet.cleanup_expired_iocs() RETURNS bigint
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM cdefnet.iocs WHERE expires_at <= now();
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;

REVOKE ALL ON FUNCTION cdefnet.cleanup_expired_iocs() FROM PUBLIC;

-- Containment search over the audit log of the session's tenant:
--   SELECT * FROM cdefnet.search_audit_log('{"ip": "203.0.113.7"}') ORDER BY created_at DESC LIMIT 50;
-- Under row-level security PostgreSQL uses no index for an operator that is not leakproof, and jsonb @> is
-- not, so the application's own @> queries cannot use the GIN index. This function runs as the table's owner
-- (without row-level security), filters by the session's tenant itself, and so can.
CREATE FUNCTION cdefnet.search_audit_log(filter jsonb) RETURNS SETOF cdefnet.audit_log
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT *
    FROM cdefnet.audit_log
    WHERE tenant_hash = current_setting('cdefnet.tenant_hash', true)
      AND details @> filter
$$;

REVOKE ALL ON FUNCTION cdefnet.search_audit_log(jsonb) FROM PUBLIC;
