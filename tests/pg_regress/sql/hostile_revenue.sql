-- Hostile input, recurring revenue: every function and aggregate with NULLs, empty sets, ±infinity
-- and extreme dates (5874897 AD, 4714 BC), months not on the 1st, NaN (±Infinity:
-- numeric_infinities), negative and 1e30 amounts, and malformed and adversarial crm.mrr_summary
-- text. Each case succeeds ('ok: ' and its rows) or fails with a class-22 SQLSTATE (54000 for work
-- refused as too large).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET statement_timeout = '60s';
\pset format unaligned
\pset fieldsep ' | '
SELECT n, query, outcome FROM hostile('revenue', ARRAY[
-- The aggregate over each id type: NULLs, no rows, bad months and amounts.
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (NULL::bigint, date '2024-01-01', 1::numeric), (1, NULL, 1), (1, '2024-01-01', NULL)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a), crm.mrr_agg(id::text, m, a), crm.mrr_agg(gen_random_uuid(), m, a) FROM (VALUES (1::bigint, date '2024-01-01', 1::numeric)) v(id, m, a) WHERE false$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-15', 1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date 'infinity', 1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '-infinity', 1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '5874897-12-01', 1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '4713-01-01 BC', 1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '294276-12-01', 1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '4713-01-01 BC', 1::numeric), (1, '294276-12-01', 1)) v(id, m, a)$q$,
$q$SELECT s::text::crm.mrr_summary OPERATOR(crm.=) s FROM (SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '4714-12-01 BC', 1::numeric), (2, '294277-01-01', 2), (3, '20000-01-01', 3)) v(id, m, a)) x(s)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '4714-11-01 BC', 1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '294277-02-01', 1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-01', 'NaN'::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-01', -1::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-01', 0::numeric)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-01', 1e30)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-01', 79228162514264337593543950335), (1, '2024-01-01', 79228162514264337593543950335)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-01', 0.00000000000000000000000000001)) v(id, m, a)$q$,
$q$SELECT crm.mrr_agg(id, m, a) FROM (VALUES ('', date '2024-01-01', 1::numeric), (repeat('x', 1000000), '2024-01-01', 2)) v(id, m, a)$q$,
-- Rollup and readers: NULLs, empty summaries, month ranges far apart, infinite months.
$q$SELECT crm.rollup(s) FROM (VALUES (NULL::crm.mrr_summary)) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"key":"bigint","first_month":null,"last_month":null,"customers":[]}'::crm.mrr_summary)) v(s) WHERE false$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"key":"bigint","first_month":null,"last_month":null,"customers":[]}'::crm.mrr_summary), ('{"version":1,"key":"text","first_month":null,"last_month":null,"customers":[]}')) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","79228162514264337593543950335"]]]]}'::crm.mrr_summary), ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","1"]]]]}')) v(s)$q$,
$q$SELECT * FROM crm.mrr_movements(NULL)$q$,
$q$SELECT * FROM crm.mrr_movements('{"version":1,"key":"bigint","first_month":null,"last_month":null,"customers":[]}')$q$,
$q$SELECT count(*) FROM crm.mrr_movements((SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '4713-01-01 BC', 1::numeric), (1, '294276-12-01', 1)) v(id, m, a)))$q$,
$q$SELECT count(*) FROM crm.mrr_movements('{"version":1,"key":"bigint","first_month":"4713-01-01 BC","last_month":"5874897-12-01","customers":[]}')$q$,
$q$SELECT * FROM crm.mrr_movements((SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1::bigint, date '2024-01-01', 79228162514264337593543950335), (2, '2024-01-01', 79228162514264337593543950335)) v(id, m, a)))$q$,
$q$SELECT crm.net_revenue_retention(s, '2025-01-01', '2025-02-01'), crm.gross_revenue_retention(s, '2025-01-01', '2025-02-01') FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","20"]]],["7",[["2025-02-01","10.00"]]]]}'::crm.mrr_summary)) v(s)$q$,
$q$SELECT crm.net_revenue_retention(s, '2025-02-01', '2025-01-01'), crm.gross_revenue_retention(s, '2025-02-01', '2025-01-01') FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","20"]]],["7",[["2025-02-01","10.00"]]]]}'::crm.mrr_summary)) v(s)$q$,
$q$SELECT crm.net_revenue_retention(s, '2025-01-15', '2025-02-01') FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","20"]]]]}'::crm.mrr_summary)) v(s)$q$,
$q$SELECT crm.net_revenue_retention(s, '-infinity', 'infinity') FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","20"]]]]}'::crm.mrr_summary)) v(s)$q$,
$q$SELECT crm.gross_revenue_retention(s, '2025-01-01', 'infinity') FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","20"]]]]}'::crm.mrr_summary)) v(s)$q$,
$q$SELECT crm.net_revenue_retention(s, '4713-01-01 BC', '5874897-12-01'), crm.gross_revenue_retention(s, '4713-01-01 BC', '5874897-12-01') FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","20"]]]]}'::crm.mrr_summary)) v(s)$q$,
$q$SELECT crm.net_revenue_retention(s, NULL, '2025-02-01') FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","20"]]]]}'::crm.mrr_summary)) v(s)$q$,
$q$SELECT crm.net_revenue_retention(s, '2025-01-01', '2025-02-01') FROM (VALUES ('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","0.0000000000000000000000000001"],["2025-02-01","79228162514264337593543950335"]]]]}'::crm.mrr_summary)) v(s)$q$,
-- Malformed and adversarial text of crm.mrr_summary.
$q$SELECT ''::crm.mrr_summary$q$,
$q$SELECT '[1,"bigint",null,null,[]]'::crm.mrr_summary$q$,
$q$SELECT '{"version":2,"key":"bigint","first_month":null,"last_month":null,"customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"float","first_month":null,"last_month":null,"customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":null,"customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-02-01","last_month":"2025-01-01","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-15","last_month":"2025-02-01","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"infinity","last_month":"infinity","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"5874898-01-01","last_month":"5874898-01-01","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"-4713-01-01","last_month":"2025-01-01","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"-4713-12-01","last_month":"+294277-01-01","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"+20000-01-01","last_month":"20000-2-1","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"+294277-02-01","last_month":"+294277-02-01","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"99999999-01-01","last_month":"99999999-01-01","customers":[]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2024-01-01","20"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","-20"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","0"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","NaN"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","1e30"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01",20]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","20"],["2025-01-01","30"]]],["5",[["2025-01-01","1"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","79228162514264337593543950335"],["2025-01-01","1"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["x",[["2025-01-01","20"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"uuid","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","20"]]]]}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":null,"last_month":null,"customers":[],"key":"text"}'::crm.mrr_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":null,"last_month":null,"customers":[]}{'::crm.mrr_summary$q$,
$q$SELECT repeat('[', 100000)::crm.mrr_summary$q$,
$q$SELECT crm.rollup(('{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[' || repeat('["5",[["2025-01-01","1"]]],', 100000) || '["5",[["2025-01-01","1"]]]]}')::crm.mrr_summary)$q$,
$q$SELECT '{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["1",[["2025-01-01","5e3"]]]]}'::crm.mrr_summary$q$
]);
