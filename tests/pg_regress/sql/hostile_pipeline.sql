-- Hostile input, pipeline family: every function and aggregate with NULLs, empty sets, NaN and 1e30
-- amounts (±Infinity: numeric_infinities), ±infinity and extreme timestamps, zero, negative and
-- calendar intervals, and malformed and adversarial crm.pipeline_summary text. Each case succeeds
-- ('ok: ' and its rows) or fails with a class-22 SQLSTATE (54000 for work refused as too large).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET statement_timeout = '60s';
\pset format unaligned
\pset fieldsep ' | '
SELECT n, query, outcome FROM hostile('pipeline', ARRAY[
-- The aggregates: NULLs, no rows, bad amounts and instants.
$q$SELECT crm.pipeline_agg(a, c, d, w), crm.pipeline_velocity(a, c, d, w) FROM (VALUES (NULL::numeric, NULL::timestamptz, NULL::timestamptz, NULL::boolean)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w), crm.pipeline_velocity(a, c, d, w) FROM (VALUES (1::numeric, now(), now(), true)) v(a, c, d, w) WHERE false$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (100::numeric, timestamptz '2024-01-01', NULL::timestamptz, true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (100::numeric, timestamptz '2024-01-01', timestamptz '2024-02-01', NULL::boolean)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES ('NaN'::numeric, timestamptz '2024-01-01', timestamptz '2024-02-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (-1::numeric, timestamptz '2024-01-01', timestamptz '2024-02-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (1e30, timestamptz '2024-01-01', timestamptz '2024-02-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (79228162514264337593543950335, timestamptz '2024-01-01', timestamptz '2024-02-01', true), (79228162514264337593543950335, '2024-01-01', '2024-02-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (0.00000000000000000000000000001, timestamptz '2024-01-01', timestamptz '2024-02-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (100::numeric, timestamptz '2024-02-01', timestamptz '2024-01-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (100::numeric, timestamptz '-infinity', timestamptz '2024-01-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (100::numeric, timestamptz '2024-01-01', timestamptz 'infinity', false)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (100::numeric, timestamptz 'infinity', NULL::timestamptz, NULL::boolean)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_agg(a, c, d, w) FROM (VALUES (100::numeric, timestamptz '4714-11-24 00:00:00+00 BC', timestamptz '294276-12-31 23:59:59.999999+00', true), (100, '4714-11-24 00:00:00+00 BC', '294276-12-31 23:59:59.999999+00', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_velocity(a, c, d, w) FROM (VALUES (100::numeric, timestamptz '2024-01-01', timestamptz '2024-01-01', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_velocity(a, c, d, w) FROM (VALUES (79228162514264337593543950335, timestamptz '2024-01-01', timestamptz '2024-01-01 00:00:00.000001', true)) v(a, c, d, w)$q$,
$q$SELECT crm.pipeline_velocity(a, c, d, w) OVER (ORDER BY c ROWS 1 PRECEDING) FROM (VALUES (100::numeric, timestamptz '2024-01-01', timestamptz '2024-01-05', true), (NULL, NULL, NULL, NULL), (-5, '2024-01-01', NULL, NULL)) v(a, c, d, w)$q$,
-- Rollup and accessors: NULLs, empty and overflowing summaries.
$q$SELECT crm.rollup(s) FROM (VALUES (NULL::crm.pipeline_summary)) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"won":0,"lost":0,"open":0,"won_value":"0","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary)) v(s) WHERE false$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"won":9223372036854775807,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary), ('{"won":1,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}')) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"won":1,"lost":0,"open":0,"won_value":"79228162514264337593543950335","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary), ('{"won":1,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}')) v(s)$q$,
$q$SELECT crm.opportunities(s), crm.won(s), crm.lost(s), crm.open(s), crm.win_rate(s), crm.average_deal_size(s), crm.sales_cycle(s), crm.won_value(s), crm.open_value(s), crm.pipeline_velocity(s), crm.closed_value_velocity(s), crm.open_pipeline_velocity(s) FROM (VALUES (NULL::crm.pipeline_summary)) v(s)$q$,
$q$SELECT crm.opportunities(s), crm.won(s), crm.lost(s), crm.open(s), crm.win_rate(s), crm.average_deal_size(s), crm.sales_cycle(s), crm.won_value(s), crm.open_value(s), crm.pipeline_velocity(s), crm.closed_value_velocity(s), crm.open_pipeline_velocity(s) FROM (VALUES ('{"won":0,"lost":0,"open":0,"won_value":"0","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary)) v(s)$q$,
$q$SELECT crm.opportunities(s), crm.win_rate(s), crm.average_deal_size(s), crm.sales_cycle(s), crm.pipeline_velocity(s), crm.closed_value_velocity(s), crm.open_pipeline_velocity(s) FROM (VALUES ('{"won":3,"lost":9223372036854775804,"open":0,"won_value":"79228162514264337593543950335","open_value":"0","won_cycle_microseconds":1}'::crm.pipeline_summary)) v(s)$q$,
$q$SELECT crm.opportunities(s) FROM (VALUES ('{"won":9223372036854775807,"lost":9223372036854775807,"open":9223372036854775807,"won_value":"1","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary)) v(s)$q$,
$q$SELECT crm.sales_cycle(s) FROM (VALUES ('{"won":1,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":9223372036854775807}'::crm.pipeline_summary)) v(s)$q$,
$q$SELECT crm.pipeline_velocity(s), crm.closed_value_velocity(s), crm.open_pipeline_velocity(s) FROM (VALUES ('{"won":1,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary)) v(s)$q$,
$q$SELECT crm.pipeline_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, p), crm.closed_value_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, p), crm.open_pipeline_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, p) FROM unnest(ARRAY['1 day', '1 month', '1 year 2 months 3 days 04:05:06', '1 microsecond']::interval[]) p$q$,
$q$SELECT crm.pipeline_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, '0')$q$,
$q$SELECT crm.pipeline_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, '-1 day')$q$,
$q$SELECT crm.closed_value_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, '-1 day')$q$,
$q$SELECT crm.closed_value_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, '0')$q$,
$q$SELECT crm.pipeline_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, '178000000 years')$q$,
$q$SELECT crm.closed_value_velocity('{"won":2,"lost":0,"open":0,"won_value":"79228162514264337593543950335","open_value":"0","won_cycle_microseconds":2}'::crm.pipeline_summary, '178000000 years')$q$,
$q$SELECT crm.pipeline_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, '1 month -30 days')$q$,
$q$SELECT crm.pipeline_velocity('{"won":2,"lost":1,"open":1,"won_value":"100","open_value":"5","won_cycle_microseconds":86400000000}'::crm.pipeline_summary, NULL)$q$,
-- Malformed and adversarial text of crm.pipeline_summary.
$q$SELECT ''::crm.pipeline_summary$q$,
$q$SELECT '[1,1,1,"1","1",1]'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":1,"open":1,"won_value":"1","open_value":"1"}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":-1,"lost":0,"open":0,"won_value":"0","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":0,"lost":0,"open":0,"won_value":"5","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":0,"lost":0,"open":0,"won_value":"0","open_value":"5","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"-5","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"NaN","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"Infinity","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"1e30","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"79228162514264337593543950336","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"0.00000000000000000000000000001","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":5,"open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":-1}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":0,"lost":0,"open":0,"won_value":"0","open_value":"0","won_cycle_microseconds":5}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":1e30}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":9223372036854775807,"lost":9223372036854775807,"open":9223372036854775807,"won_value":"1","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":18446744073709551616,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"won":2,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0,"version":2}'::crm.pipeline_summary$q$,
$q$SELECT '{"won":1,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}garbage'::crm.pipeline_summary$q$,
$q$SELECT repeat('[', 100000)::crm.pipeline_summary$q$,
$q$SELECT ('{"won":1,"lost":0,"open":0,"won_value":"' || repeat('9', 100000) || '","open_value":"0","won_cycle_microseconds":0}')::crm.pipeline_summary$q$
]);
