-- Infinite intervals (Postgres 17 on): every interval argument of 'infinity' or '-infinity' (a
-- horizon, a step, a window, a target, a duration, a rate's `per`) is 22008. Before
-- 17 Postgres refuses 'infinity'::interval itself on input (22007), which
-- expected/infinite_intervals_1.out holds. Outside hostile_cases, so that hostile_total counts the
-- same on every version.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\pset format unaligned
\pset fieldsep ' | '
SELECT n, query, public.outcome_of(query) AS outcome FROM unnest(ARRAY[
$q$SELECT crm.expected_purchases(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426), 'infinity'::interval, 'week')$q$,
$q$SELECT crm.expected_purchases(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426), '-infinity'::interval, 'week', 2, 30.43, 38.86)$q$,
$q$SELECT crm.clv(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426), crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30.43, 38.86, 22.35, 'infinity'::interval, 0.01, 'week')$q$,
$q$SELECT count(*) FROM crm.churn_series((SELECT crm.customer_agg(timestamptz '2024-01-01', NULL)), date '2024-01-01', date '2024-03-01', 'infinity'::interval)$q$,
$q$SELECT count(*) FROM crm.churn_series((SELECT crm.customer_agg(timestamptz '2024-01-01', NULL)), timestamptz '2024-01-01', timestamptz '2024-03-01', '-infinity'::interval, 'start', 'UTC')$q$,
$q$SELECT crm.pipeline_velocity(crm.pipeline_agg(100, timestamptz '2024-01-01', timestamptz '2024-02-01', true), 'infinity'::interval)$q$,
$q$SELECT crm.open_pipeline_velocity(crm.pipeline_agg(100, timestamptz '2024-01-01', timestamptz '2024-02-01', true), '-infinity'::interval)$q$,
$q$SELECT crm.closed_value_velocity(crm.pipeline_agg(100, timestamptz '2024-01-01', timestamptz '2024-02-01', true), 'infinity'::interval)$q$,
$q$SELECT crm.sla_attainment(timestamptz '2024-01-01', timestamptz '2024-01-02', 'infinity'::interval)$q$,
$q$SELECT crm.sla_attainment(timestamptz '2024-01-01', timestamptz '2024-01-02', '-infinity'::interval, crm.business_calendar('Mon-Fri 09:00-17:00', 'UTC'))$q$,
$q$SELECT crm.sla_counts(crm.service_agg(timestamptz '2024-01-01', timestamptz '2024-01-01 01:00', timestamptz '2024-01-02', 1, false), 'infinity'::interval, 'resolution')$q$,
$q$SELECT crm.business_add(crm.business_calendar('Mon-Fri 09:00-17:00', 'UTC'), timestamptz '2024-01-01', 'infinity'::interval)$q$,
$q$SELECT crm.survival_agg('infinity'::interval, true)$q$,
$q$SELECT crm.survival_at(crm.survival_agg(interval '3 days', true), '-infinity'::interval)$q$,
$q$SELECT crm.restricted_mean_survival(crm.survival_agg(interval '3 days', true), 'infinity'::interval)$q$,
$q$SELECT count(*) FROM crm.life_table('{"version":1,"durations":[[1,1,0]]}', 'infinity'::interval, 3)$q$,
$q$SELECT crm.window_funnel(timestamptz '2024-01-01', 1, 'infinity'::interval)$q$,
$q$SELECT crm.funnel_agg(1::bigint, timestamptz '2024-01-01', 1, '-infinity'::interval, 'strict_order')$q$
]) WITH ORDINALITY q(query, n);
