-- Reverses 000001_init_schema.up.sql, in reverse order.

DROP VIEW shadow.divergence_summary;

DROP INDEX shadow.metrics_labels_gin;

DROP INDEX shadow.metrics_model_name_recorded_at_idx;

DROP TABLE shadow.metrics;

DROP INDEX shadow.evaluations_shadow_result_gin;

DROP INDEX shadow.evaluations_primary_result_gin;

DROP INDEX shadow.evaluations_diverged_idx;

DROP INDEX shadow.evaluations_request_id_idx;

DROP INDEX shadow.evaluations_model_evaluated_at_idx;

DROP TABLE shadow.evaluations;
