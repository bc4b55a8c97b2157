-- Recurring revenue family: aggregates and comments. The support functions of the aggregates
-- are raw V1 C functions defined (and declared in SQL) in src/revenue/sql.rs; this file runs last
-- in the install script, after every function it names. Their state is a crm.mrr_summary kept as
-- an expanded object (src/common/expanded.rs): Citus ships it as text and parallel query as its
-- binary form.

CREATE AGGREGATE crm.mrr_agg(customer_id bigint, month date, mrr numeric) (
    SFUNC = crm_internal.mrr_bigint_trans,
    STYPE = crm.mrr_summary,
    FINALFUNC = crm_internal.mrr_final,
    COMBINEFUNC = crm_internal.mrr_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.mrr_agg(customer_id text, month date, mrr numeric) (
    SFUNC = crm_internal.mrr_text_trans,
    STYPE = crm.mrr_summary,
    FINALFUNC = crm_internal.mrr_final,
    COMBINEFUNC = crm_internal.mrr_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.mrr_agg(customer_id uuid, month date, mrr numeric) (
    SFUNC = crm_internal.mrr_uuid_trans,
    STYPE = crm.mrr_summary,
    FINALFUNC = crm_internal.mrr_final,
    COMBINEFUNC = crm_internal.mrr_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.mrr_summary) (
    SFUNC = crm_internal.mrr_rollup_trans,
    STYPE = crm.mrr_summary,
    FINALFUNC = crm_internal.mrr_final,
    COMBINEFUNC = crm_internal.mrr_combine,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.mrr_summary IS
    'MRR per customer and month (rows of one customer-month added up, exact numeric amounts) and the first and last month of the data; read with crm.mrr_movements, crm.net_revenue_retention and crm.gross_revenue_retention, merge with crm.rollup.';
COMMENT ON AGGREGATE crm.mrr_agg(bigint, date, numeric) IS
    'MRR summary of customer-month rows (bigint customer ids): month must be the first of a month (22023), mrr >= 0 (22003); several rows of one customer-month add up; a month without a row is 0. Example: SELECT * FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM subscriptions_mrr));';
COMMENT ON AGGREGATE crm.mrr_agg(text, date, numeric) IS
    'MRR summary of customer-month rows (text customer ids, hashed to 128 bits (XXH3)): month must be the first of a month (22023), mrr >= 0 (22003); several rows of one customer-month add up.';
COMMENT ON AGGREGATE crm.mrr_agg(uuid, date, numeric) IS
    'MRR summary of customer-month rows (uuid customer ids, exact): month must be the first of a month (22023), mrr >= 0 (22003); several rows of one customer-month add up.';
COMMENT ON AGGREGATE crm.rollup(crm.mrr_summary) IS
    'Merges MRR summaries of the same customer id type (rows of one customer-month add up), e.g. per-region summaries into one.';
COMMENT ON FUNCTION crm.mrr_movements(crm.mrr_summary) IS
    'The MRR bridge, one row per month from the first to the last month in the data: new (first month ever with mrr > 0), expansion and contraction (change between two paying months), churned (the whole previous mrr when mrr drops to 0), reactivation (mrr > 0 after a 0 month, having paid before); ending = starting + new + expansion + reactivation - contraction - churned exactly.';
COMMENT ON FUNCTION crm.net_revenue_retention(crm.mrr_summary, date, date) IS
    'Net revenue retention: over the customers with mrr > 0 in from_month, their mrr in to_month / their mrr in from_month (expansion included); NULL without such customers. Example: SELECT crm.net_revenue_retention(crm.mrr_agg(customer_id, month, mrr), ''2025-01-01'', ''2025-12-01'') FROM subscriptions_mrr;';
COMMENT ON FUNCTION crm.gross_revenue_retention(crm.mrr_summary, date, date) IS
    'Gross revenue retention: over the customers with mrr > 0 in from_month, sum of least(mrr in to_month, mrr in from_month) / sum of mrr in from_month (no expansion); NULL without such customers.';
COMMENT ON FUNCTION crm_internal.mrr_bigint_trans(crm.mrr_summary, bigint, date, numeric) IS 'Support function of aggregate crm.mrr_agg(bigint, date, numeric): transition.';
COMMENT ON FUNCTION crm_internal.mrr_text_trans(crm.mrr_summary, text, date, numeric) IS 'Support function of aggregate crm.mrr_agg(text, date, numeric): transition.';
COMMENT ON FUNCTION crm_internal.mrr_uuid_trans(crm.mrr_summary, uuid, date, numeric) IS 'Support function of aggregate crm.mrr_agg(uuid, date, numeric): transition.';
COMMENT ON FUNCTION crm_internal.mrr_rollup_trans(crm.mrr_summary, crm.mrr_summary) IS 'Support function of aggregate crm.rollup(crm.mrr_summary): transition.';
COMMENT ON FUNCTION crm_internal.mrr_combine(crm.mrr_summary, crm.mrr_summary) IS 'Support function of crm.mrr_agg and crm.rollup(crm.mrr_summary): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.mrr_final(crm.mrr_summary) IS 'Support function of crm.mrr_agg and crm.rollup(crm.mrr_summary): final summary.';

-- The cost of merging its growing partial states grows with the rows the query aggregates
-- (planner support function, src/common/costs.rs): no parallel plan whose merging costs
-- what dividing the scan saves.
ALTER FUNCTION crm_internal.mrr_combine(crm.mrr_summary, crm.mrr_summary) SUPPORT crm_internal.merged_state_cost;
