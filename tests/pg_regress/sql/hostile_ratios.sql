-- Hostile input, plain ratios: every scalar ratio and the share aggregates with NULLs, empty sets,
-- zero and negative denominators, NaN and 1e30 numerics (±Infinity: numeric_infinities), and the
-- bigint extremes. Each case succeeds ('ok: ' and its rows) or fails with a class-22 SQLSTATE
-- (54000 for work refused as too large).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET statement_timeout = '60s';
\pset format unaligned
\pset fieldsep ' | '
SELECT n, query, outcome FROM hostile('ratios', ARRAY[
-- Numeric ratios: NaN, zero, negative and extreme values on each side.
$q$SELECT crm.cac(c, n) FROM (VALUES (NULL::numeric, 1::bigint), (1, NULL)) v(c, n)$q$,
$q$SELECT crm.cac('NaN', 5)$q$,
$q$SELECT crm.cac(1e30, 0)$q$,
$q$SELECT crm.cac(1e30, -3)$q$,
$q$SELECT crm.cac(-100, 3)$q$,
$q$SELECT crm.cac(79228162514264337593543950335, 1)$q$,
$q$SELECT crm.cac(1e40, 1)$q$,
$q$SELECT crm.cac(1, 9223372036854775807)$q$,
$q$SELECT crm.cac(0.00000000000000000000000000001, 3)$q$,
$q$SELECT crm.cac(0.0000000000000000000000000001, 3), crm.cac(5, 9223372036854775807), crm.cac(100, 3), crm.cac(5000.00, 125)$q$,
$q$SELECT crm.growth_rate(9000000000000.00, 1.6666666666666667), crm.roi(7329.49, 5.89e-25), crm.growth_rate(79228162514264337593543950335, -1)$q$,
$q$SELECT crm.roi('NaN', 1)$q$,
$q$SELECT crm.roi(1, 'NaN')$q$,
$q$SELECT crm.roi(1e30, 0)$q$,
$q$SELECT crm.roi(1e30, 1e-30)$q$,
$q$SELECT crm.roi(1e300, 1e-300)$q$,
$q$SELECT crm.roi(-5, -1)$q$,
$q$SELECT crm.quota_attainment(85, 80), crm.quota_attainment(85, 0), crm.quota_attainment(-85, 80)$q$,
$q$SELECT crm.quota_attainment(85, -80)$q$,
$q$SELECT crm.quota_attainment('NaN', 80)$q$,
$q$SELECT crm.quota_attainment(1e300, 1e-300)$q$,
$q$SELECT crm.growth_rate(110, 100), crm.growth_rate(110, 0), crm.growth_rate(-110, 100), crm.growth_rate(110, -100)$q$,
$q$SELECT crm.growth_rate('NaN', 100)$q$,
$q$SELECT crm.growth_rate(1e300, 1e-300)$q$,
$q$SELECT crm.ltv_to_cac(300, 100), crm.ltv_to_cac(300, 0), crm.ltv_to_cac(-300, 100), crm.ltv_to_cac(300, -100)$q$,
$q$SELECT crm.ltv_to_cac('NaN', 100)$q$,
$q$SELECT crm.ltv_to_cac(1e300, 1e-300)$q$,
$q$SELECT crm.revenue_per_lead(1000, 10), crm.revenue_per_lead(1000, 0), crm.revenue_per_lead(-1000, 10), crm.revenue_per_lead(1000, -10)$q$,
$q$SELECT crm.revenue_per_lead('NaN', 10)$q$,
$q$SELECT crm.revenue_per_lead(1e30, 1)$q$,
$q$SELECT crm.revenue_per_lead(1e40, 1)$q$,
$q$SELECT crm.revenue_per_lead(1, 9223372036854775807)$q$,
$q$SELECT crm.cost_per_lead(1000, 10), crm.cost_per_lead(1000, 0), crm.cost_per_lead(-1000, 10), crm.cost_per_lead(1000, -10)$q$,
$q$SELECT crm.cost_per_lead('NaN', 10)$q$,
$q$SELECT crm.cost_per_lead(79228162514264337593543950335, 1)$q$,
$q$SELECT crm.cost_per_lead(1e40, 7)$q$,
-- Bigint ratios: zero and negative denominators, the extremes.
$q$SELECT crm.conversion_rate(33, 100), crm.conversion_rate(0, 0), crm.conversion_rate(-1, 100), crm.conversion_rate(1, -100), crm.conversion_rate(200, 100)$q$,
$q$SELECT crm.conversion_rate(9223372036854775807, 9223372036854775807), crm.conversion_rate(-9223372036854775808, -9223372036854775808)$q$,
$q$SELECT crm.calls_per_sale(40, 8), crm.calls_per_sale(40, 0), crm.calls_per_sale(-40, 8), crm.calls_per_sale(40, -8)$q$,
$q$SELECT crm.calls_per_sale(9223372036854775807, 1), crm.calls_per_sale(-9223372036854775808, -1)$q$,
$q$SELECT crm.renewal_rate(95::bigint, 100::bigint), crm.renewal_rate(0::bigint, 0::bigint), crm.renewal_rate(-1::bigint, 100::bigint), crm.renewal_rate(5::bigint, -100::bigint), crm.renewal_rate(200::bigint, 100::bigint)$q$,
$q$SELECT crm.renewal_rate(9223372036854775807::bigint, 9223372036854775807::bigint), crm.renewal_rate(-9223372036854775808::bigint, -9223372036854775808::bigint)$q$,
$q$SELECT crm.conversion_rate(NULL, 5), crm.calls_per_sale(5, NULL), crm.renewal_rate(NULL::bigint, 5::bigint)$q$,
-- The share aggregates: NULLs, no rows, windows.
$q$SELECT crm.win_rate(w), crm.renewal_rate(w) FROM (VALUES (NULL::boolean), (NULL)) v(w)$q$,
$q$SELECT crm.conversion_rate(w) FROM (VALUES (NULL::boolean), (true), (false), (NULL), (true)) v(w)$q$,
$q$SELECT crm.conversion_rate(w) OVER (ORDER BY i ROWS 1 PRECEDING) FROM (VALUES (1, NULL::boolean), (2, NULL), (3, true), (4, false)) v(i, w)$q$,
$q$SELECT crm.win_rate(w), crm.renewal_rate(w) FROM (VALUES (true)) v(w) WHERE false$q$,
$q$SELECT crm.win_rate(w), crm.renewal_rate(w) FROM (SELECT i % 3 = 0 FROM generate_series(1, 100000) i) v(w)$q$,
$q$SELECT crm.win_rate(w) OVER (ORDER BY i ROWS 1 PRECEDING), crm.renewal_rate(w) OVER (ORDER BY i ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) FROM (VALUES (1, true), (2, NULL::boolean), (3, NULL), (4, false)) v(i, w)$q$,
-- crm.share_state (the transition state of the share aggregates, a SQL type): text forms.
$q$SELECT '{"true_rows":3,"rows":5}'::crm.share_state::text$q$,
$q$SELECT '{"true_rows":6,"rows":5}'::crm.share_state$q$,
$q$SELECT '{"true_rows":-1,"rows":5}'::crm.share_state$q$,
$q$SELECT '{"true_rows":1,"rows":18446744073709551616}'::crm.share_state$q$,
$q$SELECT '{"true_rows":1,"true_rows":2,"rows":5}'::crm.share_state$q$,
$q$SELECT '{"rows":5}'::crm.share_state$q$,
$q$SELECT ('{"true_rows":1,"rows":5,"x":' || repeat('[', 100000) || '}')::crm.share_state$q$,
$q$SELECT '{"true_rows":1,"rows":5} x'::crm.share_state$q$,
-- Counts past 2^53 (no exact double): the nearest double of the exact quotient, 3002399751580331 and 1 - 2^-53.
$q$SELECT crm.calls_per_sale(9007199254740993, 3), crm.conversion_rate(9007199254740993, 9007199254740994), crm.renewal_rate(9007199254740993::bigint, 9007199254740994::bigint)$q$,
$q$SELECT crm_internal.share_trans('{"true_rows":0,"rows":9223372036854775807}'::crm.share_state, true)$q$
]);
