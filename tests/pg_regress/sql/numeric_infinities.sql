-- Numeric infinities (Postgres 14 on): an input of 'Infinity' or '-Infinity' fails with the
-- SQLSTATE of NaN (22023 for crm.clv, crm.rfm_agg and crm.rfm_holdout_agg, 22003 for the other amounts and ratios).
-- Postgres 13 has no numeric infinities and refuses 'Infinity'::numeric itself on input (22P02),
-- which expected/numeric_infinities_1.out holds.
-- Outside hostile_cases, so that hostile_total counts the same on every version.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\pset format unaligned
\pset fieldsep ' | '
SELECT n, query, public.outcome_of(query) AS outcome FROM unnest(ARRAY[
$q$SELECT crm.clv('Infinity'::numeric, 1, 1)$q$,
$q$SELECT crm.rfm_agg(t, a, e, 'day') FROM (VALUES (timestamptz '2024-01-01', 'Infinity'::numeric, timestamptz '2024-12-31')) v(t, a, e)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES ('Infinity'::numeric, timestamptz '2024-01-01', timestamptz '2024-02-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.cac('Infinity', 5)$q$,
$q$SELECT crm.roi('-Infinity', 1)$q$,
$q$SELECT crm.roi(1, 'Infinity')$q$,
$q$SELECT crm.quota_attainment(80, 'Infinity')$q$,
$q$SELECT crm.growth_rate(100, '-Infinity')$q$,
$q$SELECT crm.ltv_to_cac(100, 'Infinity')$q$,
$q$SELECT crm.revenue_per_lead('-Infinity', 10)$q$,
$q$SELECT crm.cost_per_lead('Infinity', 10)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-01', 'Infinity'::numeric)) v(id, m, a)$q$,
$q$SELECT crm.roi('Infinity', 1)$q$,
$q$SELECT crm.rfm_holdout_agg(timestamptz '2024-01-01', '-Infinity'::numeric, timestamptz '2024-06-30', timestamptz '2024-12-31', 'day')$q$,
$q$SELECT crm.clv(crm.bgbb_model(1.2, 0.75, 0.66, 2.8), 4, 5, 6, 'Infinity', 10, 0.1)$q$
]) WITH ORDINALITY q(query, n);
