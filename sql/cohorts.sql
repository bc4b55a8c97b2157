-- Cohorts family: aggregates and comments. The support functions of crm.cohort_agg and
-- crm.rollup(crm.cohort_summary) are raw V1 C functions defined (and declared in SQL) in
-- src/cohorts/sql.rs; this file runs last in the install script, after every function it names.
-- Their state is a crm.cohort_summary kept as an expanded object (src/common/expanded.rs): Citus
-- ships it as text and parallel query as its binary form.

CREATE AGGREGATE crm.cohort_agg(customer_id bigint, occurred_at timestamptz, period text) (
    SFUNC = crm_internal.cohort_bigint_trans,
    STYPE = crm.cohort_summary,
    FINALFUNC = crm_internal.cohort_final,
    COMBINEFUNC = crm_internal.cohort_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id bigint, occurred_at timestamptz, period text, time_zone text) (
    SFUNC = crm_internal.cohort_bigint_zone_trans,
    STYPE = crm.cohort_summary,
    FINALFUNC = crm_internal.cohort_final,
    COMBINEFUNC = crm_internal.cohort_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id text, occurred_at timestamptz, period text) (
    SFUNC = crm_internal.cohort_text_trans,
    STYPE = crm.cohort_summary,
    FINALFUNC = crm_internal.cohort_final,
    COMBINEFUNC = crm_internal.cohort_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id text, occurred_at timestamptz, period text, time_zone text) (
    SFUNC = crm_internal.cohort_text_zone_trans,
    STYPE = crm.cohort_summary,
    FINALFUNC = crm_internal.cohort_final,
    COMBINEFUNC = crm_internal.cohort_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id uuid, occurred_at timestamptz, period text) (
    SFUNC = crm_internal.cohort_uuid_trans,
    STYPE = crm.cohort_summary,
    FINALFUNC = crm_internal.cohort_final,
    COMBINEFUNC = crm_internal.cohort_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id uuid, occurred_at timestamptz, period text, time_zone text) (
    SFUNC = crm_internal.cohort_uuid_zone_trans,
    STYPE = crm.cohort_summary,
    FINALFUNC = crm_internal.cohort_final,
    COMBINEFUNC = crm_internal.cohort_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.cohort_summary) (
    SFUNC = crm_internal.cohort_rollup_trans,
    STYPE = crm.cohort_summary,
    FINALFUNC = crm_internal.cohort_final,
    COMBINEFUNC = crm_internal.cohort_combine,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.cohort_summary IS
    'Per customer, its cohort and the calendar periods it was active in (period kind and time zone included); read with crm.cohort_retention and crm.repeat_rate, merge with crm.rollup.';
COMMENT ON AGGREGATE crm.cohort_agg(bigint, timestamptz, text) IS
    'Cohort summary of activity events (bigint customer ids, exact ids): each customer''s cohort is the calendar period (day, week, month, quarter, year; UTC) of its first event. Example: SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, ordered_at, ''month'') FROM orders));';
COMMENT ON AGGREGATE crm.cohort_agg(bigint, timestamptz, text, text) IS
    'Cohort summary of activity events (bigint customer ids, exact ids) with calendar periods in the given IANA time zone (weeks start Monday).';
COMMENT ON FUNCTION crm_internal.cohort_bigint_trans(crm.cohort_summary, bigint, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(bigint, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.cohort_bigint_zone_trans(crm.cohort_summary, bigint, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(bigint, timestamptz, text, text): transition.';
COMMENT ON AGGREGATE crm.cohort_agg(text, timestamptz, text) IS
    'Cohort summary of activity events (text customer ids, ids hashed to 128 bits (XXH3)): each customer''s cohort is the calendar period (day, week, month, quarter, year; UTC) of its first event. Example: SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, ordered_at, ''month'') FROM orders));';
COMMENT ON AGGREGATE crm.cohort_agg(text, timestamptz, text, text) IS
    'Cohort summary of activity events (text customer ids, ids hashed to 128 bits (XXH3)) with calendar periods in the given IANA time zone (weeks start Monday).';
COMMENT ON FUNCTION crm_internal.cohort_text_trans(crm.cohort_summary, text, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(text, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.cohort_text_zone_trans(crm.cohort_summary, text, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(text, timestamptz, text, text): transition.';
COMMENT ON AGGREGATE crm.cohort_agg(uuid, timestamptz, text) IS
    'Cohort summary of activity events (uuid customer ids, exact ids): each customer''s cohort is the calendar period (day, week, month, quarter, year; UTC) of its first event. Example: SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, ordered_at, ''month'') FROM orders));';
COMMENT ON AGGREGATE crm.cohort_agg(uuid, timestamptz, text, text) IS
    'Cohort summary of activity events (uuid customer ids, exact ids) with calendar periods in the given IANA time zone (weeks start Monday).';
COMMENT ON FUNCTION crm_internal.cohort_uuid_trans(crm.cohort_summary, uuid, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(uuid, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.cohort_uuid_zone_trans(crm.cohort_summary, uuid, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(uuid, timestamptz, text, text): transition.';
COMMENT ON AGGREGATE crm.rollup(crm.cohort_summary) IS 'Merges cohort summaries of the same period kind, time zone and customer id type (exact union of activity).';
COMMENT ON FUNCTION crm.cohort_retention(crm.cohort_summary, text) IS
    'Cohort retention table: one row per cohort and period number k = 0 .. last period in the data - cohort, zeros included. Mode ''classic'' (default): active in period k; ''unbounded'': active in period k or later.';
COMMENT ON FUNCTION crm.repeat_rate(crm.cohort_summary) IS 'Share of customers active in at least two distinct periods; NULL without customers.';
COMMENT ON FUNCTION crm.customers(crm.cohort_summary) IS 'Number of distinct customers in a cohort summary.';
COMMENT ON FUNCTION crm_internal.cohort_rollup_trans(crm.cohort_summary, crm.cohort_summary) IS 'Support function of aggregate crm.rollup(crm.cohort_summary): transition.';
COMMENT ON FUNCTION crm_internal.cohort_combine(crm.cohort_summary, crm.cohort_summary) IS 'Support function of crm.cohort_agg and crm.rollup(crm.cohort_summary): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.cohort_final(crm.cohort_summary) IS 'Support function of crm.cohort_agg and crm.rollup(crm.cohort_summary): final summary.';

-- The cost of merging its growing partial states grows with the rows the query aggregates
-- (planner support function, src/common/costs.rs): no parallel plan whose merging costs
-- what dividing the scan saves.
ALTER FUNCTION crm_internal.cohort_combine(crm.cohort_summary, crm.cohort_summary) SUPPORT crm_internal.merged_state_cost;
