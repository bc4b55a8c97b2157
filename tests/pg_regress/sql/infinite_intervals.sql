-- Infinite intervals (Postgres 17 on): a horizon of 'infinity' or '-infinity' is 22008. Before
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
$q$SELECT crm.clv(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426), crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30.43, 38.86, 22.35, 'infinity'::interval, 0.01, 'week')$q$
]) WITH ORDINALITY q(query, n);
