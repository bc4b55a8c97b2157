-- Customers family: aggregates and comments. The support functions are defined in
-- src/customers/sql.rs (raw_transition! and #[pg_extern], which also declare them in SQL); this
-- file runs last in the install script, after every function it names.
--
-- The transition state crm.customer_period_state (a type Citus can ship) is changed in place per
-- row (src/common/flat.rs); an internal state serves the moving aggregates (window frames).

CREATE AGGREGATE crm.retention_rate(started_at timestamptz, ended_at timestamptz,
                                    period_start timestamptz, period_end timestamptz) (
    SFUNC = crm_internal.retention_rate_trans,
    STYPE = crm.customer_period_state,
    FINALFUNC = crm_internal.retention_rate_final,
    COMBINEFUNC = crm_internal.customer_period_combine,
    MSFUNC = crm_internal.retention_rate_trans,
    MINVFUNC = crm_internal.retention_rate_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.retention_rate_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.churn_rate(started_at timestamptz, ended_at timestamptz,
                                period_start timestamptz, period_end timestamptz) (
    SFUNC = crm_internal.churn_rate_trans,
    STYPE = crm.customer_period_state,
    FINALFUNC = crm_internal.churn_rate_final,
    COMBINEFUNC = crm_internal.customer_period_combine,
    MSFUNC = crm_internal.churn_rate_trans,
    MINVFUNC = crm_internal.churn_rate_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.churn_rate_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.churn_rate(started_at timestamptz, ended_at timestamptz,
                                period_start timestamptz, period_end timestamptz, denominator text) (
    SFUNC = crm_internal.churn_rate_denominator_trans,
    STYPE = crm.customer_period_state,
    FINALFUNC = crm_internal.churn_rate_final,
    COMBINEFUNC = crm_internal.customer_period_combine,
    MSFUNC = crm_internal.churn_rate_denominator_trans,
    MINVFUNC = crm_internal.churn_rate_denominator_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.churn_rate_final,
    PARALLEL = SAFE
);

-- The support functions of crm.customer_agg and crm.rollup(crm.customer_summary) are raw V1 C
-- functions (raw_transition! in src/customers/sql.rs). Their state is a
-- crm.customer_summary kept as an expanded object (src/common/expanded.rs): Citus ships it as
-- text and parallel query as its binary form.

CREATE AGGREGATE crm.customer_agg(started_at timestamptz, ended_at timestamptz) (
    SFUNC = crm_internal.customer_agg_trans,
    STYPE = crm.customer_summary,
    FINALFUNC = crm_internal.customer_agg_final,
    COMBINEFUNC = crm_internal.customer_agg_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.customer_summary) (
    SFUNC = crm_internal.customer_rollup_trans,
    STYPE = crm.customer_summary,
    FINALFUNC = crm_internal.customer_agg_final,
    COMBINEFUNC = crm_internal.customer_agg_combine,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.customer_summary IS
    'Customer lifetimes (started_at, ended_at) with counts, from crm.customer_agg; read with crm.active_customers and crm.churn_series, merge with crm.rollup.';
COMMENT ON AGGREGATE crm.retention_rate(timestamptz, timestamptz, timestamptz, timestamptz) IS
    'Retention over the half-open period [period_start, period_end): (E - N) / S = 1 - churn_rate(..., ''start''). S: started before period_start and not ended before it; E: the same at period_end; N: started in the period and not ended before period_end. A customer is new in the period its started_at falls in and lost in the period its ended_at falls in; a row with ended_at = started_at is skipped. Example: SELECT crm.retention_rate(started_at, ended_at, ''2025-01-01'', ''2025-02-01'') FROM customers;';
COMMENT ON AGGREGATE crm.churn_rate(timestamptz, timestamptz, timestamptz, timestamptz) IS
    'Churn over the half-open period [period_start, period_end): customers lost in it (in S, ended_at before period_end) / S, the customers it starts with (started before period_start, not ended before it); NULL when S = 0. Example: SELECT crm.churn_rate(started_at, ended_at, ''2025-01-01'', ''2025-02-01'') FROM customers;';
COMMENT ON AGGREGATE crm.churn_rate(timestamptz, timestamptz, timestamptz, timestamptz, text) IS
    'Churn with a chosen denominator: ''start'' (lost / S), ''average'' (lost / ((S + E) / 2)) or ''start_plus_new'' (everyone whose ended_at falls in the period / (S + everyone whose started_at falls in it)); NULL when the chosen denominator is 0.';
COMMENT ON AGGREGATE crm.customer_agg(timestamptz, timestamptz) IS
    'Summary of customer lifetimes for crm.active_customers and crm.churn_series (any number of periods from one scan). Example: SELECT * FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM customers), ''2025-01-01'', ''2026-01-01'', ''1 month'', ''start'', ''UTC'');';
COMMENT ON AGGREGATE crm.rollup(crm.customer_summary) IS 'Merges customer summaries (exact multiset union).';
COMMENT ON FUNCTION crm.customers(crm.customer_summary) IS 'Number of customers (rows) in a customer summary.';
COMMENT ON FUNCTION crm.active_customers(crm.customer_summary, timestamptz) IS
    'The customers a period starting at "at" starts with (its S): started_at < at and (ended_at IS NULL or ended_at >= at).';
COMMENT ON FUNCTION crm.churn_series(crm.customer_summary, timestamptz, timestamptz, interval, text, text) IS
    'One row per half-open period [period_start, period_start + step) from "from" while period_start + step <= "to" (stepping like generate_series, calendar steps taken in time_zone, default the session''s TimeZone; no row is shorter than its step, so a "to" off the step grid ends the series at the last whole period): customers at start and end, new, churned, retention and churn rates (churn with denominator ''start'', ''average'' or ''start_plus_new''); each row equals the one-step aggregates over that period. With a step of whole days, weeks or months, "from" must be local midnight in time_zone (22023 otherwise); pass dates to name local days.';
COMMENT ON FUNCTION crm.churn_series(crm.customer_summary, date, date, interval, text, text) IS
    'crm.churn_series with date bounds read as local dates in time_zone (default the session''s TimeZone): rows start at local midnight of "from" there and step in that zone until local midnight of "to" (no row shorter than its step). Example: SELECT * FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM customers), date ''2025-10-01'', date ''2026-01-01'', ''1 month'', ''average'', ''America/New_York'');';
COMMENT ON FUNCTION crm_internal.retention_rate_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.retention_rate: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.retention_rate_inverse(internal, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.retention_rate: inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.churn_rate_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.churn_rate: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.churn_rate_inverse(internal, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.churn_rate: inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.churn_rate_denominator_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.churn_rate(..., denominator): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.churn_rate_denominator_inverse(internal, timestamptz, timestamptz, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.churn_rate(..., denominator): inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.retention_rate_final(internal) IS 'Support function of aggregate crm.retention_rate: moving-aggregate final rate (window frames).';
COMMENT ON FUNCTION crm_internal.churn_rate_final(internal) IS 'Support function of aggregate crm.churn_rate: moving-aggregate final rate (window frames).';
-- Comments of the shippable state and its functions.
COMMENT ON TYPE crm.customer_period_state IS
    'Transition state of crm.retention_rate and crm.churn_rate: the period''s counts, the rows, the denominator and the period they named; text form {"customers_at_start":3,"customers_at_end":2,"new_customers":1,"churned_customers":2,"started_in_period":1,"ended_in_period":2,"rows":4,"denominator":null,"period":["2025-01-01 00:00:00+00","2025-02-01 00:00:00+00"]} (Citus ships partial states in this form).';
COMMENT ON FUNCTION crm_internal.retention_rate_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.retention_rate: transition (state crm.customer_period_state, changed in place).';
COMMENT ON FUNCTION crm_internal.churn_rate_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.churn_rate: transition (state crm.customer_period_state, changed in place).';
COMMENT ON FUNCTION crm_internal.churn_rate_denominator_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.churn_rate(..., denominator): transition (state crm.customer_period_state, changed in place).';
COMMENT ON FUNCTION crm_internal.customer_period_combine(crm.customer_period_state, crm.customer_period_state) IS 'Support function of crm.retention_rate and crm.churn_rate: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.retention_rate_final(crm.customer_period_state) IS 'Support function of aggregate crm.retention_rate: final rate.';
COMMENT ON FUNCTION crm_internal.churn_rate_final(crm.customer_period_state) IS 'Support function of aggregate crm.churn_rate: final rate.';
COMMENT ON FUNCTION crm_internal.customer_agg_trans(crm.customer_summary, timestamptz, timestamptz) IS 'Support function of aggregate crm.customer_agg: transition.';
COMMENT ON FUNCTION crm_internal.customer_rollup_trans(crm.customer_summary, crm.customer_summary) IS 'Support function of aggregate crm.rollup(crm.customer_summary): transition.';
COMMENT ON FUNCTION crm_internal.customer_agg_combine(crm.customer_summary, crm.customer_summary) IS 'Support function of crm.customer_agg and crm.rollup(crm.customer_summary): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.customer_agg_final(crm.customer_summary) IS 'Support function of crm.customer_agg and crm.rollup(crm.customer_summary): final summary.';

-- The cost of merging its growing partial states grows with the rows the query aggregates
-- (planner support function, src/common/costs.rs): no parallel plan whose merging costs
-- what dividing the scan saves.
ALTER FUNCTION crm_internal.customer_agg_combine(crm.customer_summary, crm.customer_summary) SUPPORT crm_internal.merged_state_cost;
COMMENT ON FUNCTION crm_internal.merged_state_cost(internal) IS
    'Planner support function of the combine functions of growing states (customer lifetimes, cohort customers, customer-months, ticket durations, funnel events, purchase days per customer): costs each merge by the rows the query aggregates, so that the planner does not choose a parallel plan whose merging costs what dividing the scan saves.';
