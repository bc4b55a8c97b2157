-- Hostile input, survey family (issue 9): every function and aggregate with NULLs, empty sets,
-- out-of-range and extreme scores, absurd confidence levels, and malformed and adversarial
-- crm.nps_summary text. Each case succeeds ('ok: ' and its rows) or fails with a class-22
-- SQLSTATE (54000 for work refused as too large); hostile_total checks that none is anything else.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET statement_timeout = '60s';
\pset format unaligned
\pset fieldsep ' | '
SELECT n, query, outcome FROM hostile('survey', ARRAY[
-- The aggregates: NULL rows, no rows, scores outside the scale and at the integer extremes.
$q$SELECT crm.nps(x), crm.nps_agg(x), crm.csat(x), crm.csat(x, 4) FROM (VALUES (NULL::integer), (NULL)) v(x)$q$,
$q$SELECT crm.nps(x), crm.nps_agg(x), crm.csat(x), crm.csat(x, x) FROM (VALUES (1)) v(x) WHERE false$q$,
$q$SELECT crm.nps(x) FROM (VALUES (-1)) v(x)$q$,
$q$SELECT crm.nps(x) FROM (VALUES (11)) v(x)$q$,
$q$SELECT crm.nps(x) FROM (VALUES (2147483647)) v(x)$q$,
$q$SELECT crm.nps_agg(x) FROM (VALUES (-2147483648)) v(x)$q$,
$q$SELECT crm.nps(x) OVER (ORDER BY x ROWS 1 PRECEDING) FROM (VALUES (1), (NULL), (12)) v(x)$q$,
$q$SELECT crm.csat(x) FROM (VALUES (0)) v(x)$q$,
$q$SELECT crm.csat(x) FROM (VALUES (6)) v(x)$q$,
$q$SELECT crm.csat(x, -1) FROM (VALUES (3)) v(x)$q$,
$q$SELECT crm.csat(x, t) FROM (VALUES (-2147483648, 0), (2147483647, 2147483647)) v(x, t)$q$,
$q$SELECT crm.csat(x, t) FROM (VALUES (5, NULL::integer), (NULL, 3)) v(x, t)$q$,
$q$SELECT crm.csat(x, 0) FROM (VALUES (0), (2147483647)) v(x)$q$,
-- Rollup of NULL, no and overflowing summaries.
$q$SELECT crm.rollup(s) FROM (VALUES (NULL::crm.nps_summary)) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"promoters":1,"passives":0,"detractors":0}'::crm.nps_summary)) v(s) WHERE false$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"promoters":9223372036854775806,"passives":0,"detractors":0}'::crm.nps_summary), ('{"promoters":1,"passives":1,"detractors":0}')) v(s)$q$,
-- Accessors: NULL and empty summaries.
$q$SELECT crm.nps(s), crm.responses(s), crm.promoters(s), crm.passives(s), crm.detractors(s) FROM (VALUES (NULL::crm.nps_summary)) v(s)$q$,
$q$SELECT crm.nps(s), crm.responses(s), crm.promoters(s), crm.passives(s), crm.detractors(s) FROM (VALUES ('{"promoters":0,"passives":0,"detractors":0}'::crm.nps_summary)) v(s)$q$,
$q$SELECT crm.nps(s), crm.responses(s) FROM (VALUES ('{"promoters":9223372036854775807,"passives":0,"detractors":0}'::crm.nps_summary)) v(s)$q$,
-- Confidence levels: absurd, non-finite, NULL, and an empty summary.
$q$SELECT crm.nps_margin_of_error('{"promoters":5,"passives":3,"detractors":2}', c) FROM unnest(ARRAY[0, 1, -0.5, 1.5, 'NaN', 'Infinity', '-Infinity', 1e-300, 0.9999999999999999]::float8[]) c$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":5,"passives":3,"detractors":2}', 0)$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":5,"passives":3,"detractors":2}', 1)$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":5,"passives":3,"detractors":2}', 'NaN')$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":5,"passives":3,"detractors":2}', '-Infinity')$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":5,"passives":3,"detractors":2}', 1e-300)$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":5,"passives":3,"detractors":2}', NULL)$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":0,"passives":0,"detractors":0}')$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":10,"passives":0,"detractors":0}')$q$,
$q$SELECT crm.nps_margin_of_error('{"promoters":9223372036854775807,"passives":0,"detractors":0}', 0.9999999999999999)$q$,
$q$SELECT * FROM crm.nps_interval('{"promoters":5,"passives":3,"detractors":2}', 1.5)$q$,
$q$SELECT * FROM crm.nps_interval('{"promoters":5,"passives":3,"detractors":2}', 'NaN')$q$,
$q$SELECT * FROM crm.nps_interval('{"promoters":5,"passives":3,"detractors":2}', 'Infinity')$q$,
$q$SELECT * FROM crm.nps_interval('{"promoters":5,"passives":3,"detractors":2}', 1e-300)$q$,
$q$SELECT * FROM crm.nps_interval('{"promoters":0,"passives":0,"detractors":0}')$q$,
$q$SELECT * FROM crm.nps_interval('{"promoters":0,"passives":0,"detractors":9223372036854775807}', 0.9999999999999999)$q$,
$q$SELECT * FROM crm.nps_interval(NULL, 0.95)$q$,
$q$SELECT * FROM crm.nps_difference('{"promoters":5,"passives":3,"detractors":2}', '{"promoters":1,"passives":3,"detractors":6}', -1)$q$,
$q$SELECT * FROM crm.nps_difference('{"promoters":5,"passives":3,"detractors":2}', '{"promoters":1,"passives":3,"detractors":6}', 'NaN')$q$,
$q$SELECT * FROM crm.nps_difference('{"promoters":5,"passives":3,"detractors":2}', '{"promoters":1,"passives":3,"detractors":6}', 'Infinity')$q$,
$q$SELECT * FROM crm.nps_difference('{"promoters":5,"passives":3,"detractors":2}', '{"promoters":0,"passives":0,"detractors":0}')$q$,
$q$SELECT * FROM crm.nps_difference('{"promoters":5,"passives":0,"detractors":0}', '{"promoters":7,"passives":0,"detractors":0}')$q$,
$q$SELECT * FROM crm.nps_difference('{"promoters":9223372036854775807,"passives":0,"detractors":0}', '{"promoters":0,"passives":0,"detractors":9223372036854775807}', 0.9999999999999999)$q$,
$q$SELECT * FROM crm.nps_difference(NULL, '{"promoters":1,"passives":0,"detractors":0}')$q$,
-- Malformed and adversarial text of crm.nps_summary.
$q$SELECT ''::crm.nps_summary$q$,
$q$SELECT ' '::crm.nps_summary$q$,
$q$SELECT 'null'::crm.nps_summary$q$,
$q$SELECT '"text"'::crm.nps_summary$q$,
$q$SELECT '42'::crm.nps_summary$q$,
$q$SELECT '[1,2,3]'::crm.nps_summary$q$,
$q$SELECT '{}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":1,"passives":2}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":-1,"passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":1.5,"passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":1e30,"passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":NaN,"passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":"1","passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":18446744073709551616,"passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":9223372036854775807,"passives":1,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":1,"promoters":2,"passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":1,"passives":0,"detractors":0,"version":2}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":1,"passives":0,"detractors":0}x'::crm.nps_summary$q$,
$q$SELECT '{"promoters":1,"passives":0,"detractors":0}{}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":null,"passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT '{"promoters":[1],"passives":0,"detractors":0}'::crm.nps_summary$q$,
$q$SELECT repeat('[', 100000)::crm.nps_summary$q$,
$q$SELECT (repeat('{"a":', 100000) || '1' || repeat('}', 100000))::crm.nps_summary$q$,
$q$SELECT ('{"promoters":1,"passives":0,"detractors":0,"x":[' || repeat('1,', 200000) || '1]}')::crm.nps_summary$q$,
$q$SELECT (E'{"promoters":1,"passives":0,"detractors":0,"\\u0000":1}')::crm.nps_summary$q$
]);
