-- Shadow service: the outcome of each request from the primary model and from the shadow model,
-- whether they diverged, model metrics, and a daily divergence summary.
-- Runs in schema shadow; nothing is granted here (see docs/migrations.md).

CREATE TABLE shadow.evaluations (
    id                 uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id         text             NOT NULL,
    model_name         text             NOT NULL,
    model_version      text             NOT NULL,
    primary_result     jsonb            NOT NULL,
    shadow_result      jsonb,
    shadow_error       text,
    -- jsonb equality ignores key order and whitespace: only a different outcome counts.
    diverged           boolean          GENERATED ALWAYS AS (shadow_result IS NOT NULL AND shadow_result <> primary_result) STORED,
    primary_latency_ms double precision,
    shadow_latency_ms  double precision,
    evaluated_at       timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT evaluations_shadow_outcome CHECK (shadow_result IS NOT NULL OR shadow_error IS NOT NULL),
    CONSTRAINT evaluations_latency_non_negative CHECK (primary_latency_ms >= 0 AND shadow_latency_ms >= 0)
);

COMMENT ON TABLE shadow.evaluations IS 'Primary and shadow outcome of one request; diverged is computed from the two results';

CREATE INDEX evaluations_model_evaluated_at_idx ON shadow.evaluations (model_name, model_version, evaluated_at);

CREATE INDEX evaluations_request_id_idx ON shadow.evaluations (request_id);

-- Divergences are rare: a partial index finds them without scanning agreements.
CREATE INDEX evaluations_diverged_idx ON shadow.evaluations (evaluated_at) WHERE diverged;

-- Containment queries on the outcomes (primary_result @> '{"decision": "deny"}').
CREATE INDEX evaluations_primary_result_gin ON shadow.evaluations USING gin (primary_result jsonb_path_ops);

CREATE INDEX evaluations_shadow_result_gin ON shadow.evaluations USING gin (shadow_result jsonb_path_ops);

CREATE TABLE shadow.metrics (
    id            bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_name    text             NOT NULL,
    model_version text             NOT NULL,
    name          text             NOT NULL,
    value         double precision NOT NULL,
    labels        jsonb            NOT NULL DEFAULT '{}'::jsonb,
    recorded_at   timestamptz      NOT NULL DEFAULT now()
);

COMMENT ON TABLE shadow.metrics IS 'Metric samples per model version (latency, accuracy, ...) with free-form labels';

CREATE INDEX metrics_model_name_recorded_at_idx ON shadow.metrics (model_name, model_version, name, recorded_at);

CREATE INDEX metrics_labels_gin ON shadow.metrics USING gin (labels jsonb_path_ops);

-- Per model version and UTC day: requests, those the shadow answered, divergences, shadow errors, and the
-- divergence rate among answered requests (NULL when the shadow answered none).
CREATE VIEW shadow.divergence_summary AS
SELECT model_name,
       model_version,
       (evaluated_at AT TIME ZONE 'UTC')::date                                              AS day,
       count(*)                                                                             AS total,
       count(shadow_result)                                                                 AS compared,
       count(*) FILTER (WHERE diverged)                                                     AS divergent,
       count(shadow_error)                                                                  AS shadow_errors,
       round(count(*) FILTER (WHERE diverged)::numeric / NULLIF(count(shadow_result), 0), 4) AS divergence_rate
FROM shadow.evaluations
GROUP BY model_name, model_version, (evaluated_at AT TIME ZONE 'UTC')::date;
