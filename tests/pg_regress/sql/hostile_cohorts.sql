-- Hostile input, cohorts family: every function and aggregate with NULLs, empty sets,
-- ±infinity and extreme timestamps (294276 AD, 4714 BC), empty and unknown period, zone and mode
-- names, cohort tables too large to return, and malformed and adversarial crm.cohort_summary text.
-- Each case succeeds ('ok: ' and its rows) or fails with a class-22 SQLSTATE (54000 for work
-- refused as too large).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET statement_timeout = '60s';
\pset format unaligned
\pset fieldsep ' | '
SELECT n, query, outcome FROM hostile('cohorts', ARRAY[
-- The aggregate over each id type: NULL ids, instants and options; no rows.
$q$SELECT crm.cohort_agg(id, t, 'month') FROM (VALUES (NULL::bigint, now()), (1, NULL)) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month'), crm.cohort_agg(id::text, t, 'day', 'UTC'), crm.cohort_agg(gen_random_uuid(), t, 'week') FROM (VALUES (1::bigint, now())) v(id, t) WHERE false$q$,
$q$SELECT crm.cohort_agg(id, t, NULL) FROM (VALUES (1::bigint, now())) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month', NULL) FROM (VALUES (1::bigint, timestamptz '2024-01-05')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, '') FROM (VALUES (1::bigint, now())) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'fortnight') FROM (VALUES ('a'::text, now())) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'MONTH') FROM (VALUES ('a'::text, timestamptz '2024-01-05')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month', '') FROM (VALUES ('a'::text, now())) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month', 'Mars/Olympus_Mons') FROM (VALUES (uuid 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', now())) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month', repeat('Europe/', 10000)) FROM (VALUES (1::bigint, now())) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month') FROM (VALUES (1::bigint, timestamptz '2024-01-05'), (1, 'infinity')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'day') FROM (VALUES (1::bigint, timestamptz '-infinity')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'year') FROM (VALUES (1::bigint, timestamptz '294276-12-31 23:59:59.999999+00')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'day', 'Pacific/Kiritimati') FROM (VALUES (1::bigint, timestamptz '294276-12-31 23:59:59.999999+00')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'week') FROM (VALUES (1::bigint, timestamptz '4714-11-24 00:00:00+00 BC')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'quarter') FROM (VALUES (1::bigint, timestamptz '4714-11-24 00:00:00+00 BC')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month') FROM (VALUES (-9223372036854775808, timestamptz '2024-01-05'), (9223372036854775807, '2024-02-05')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month') FROM (VALUES ('', timestamptz '2024-01-05'), (repeat('x', 1000000), '2024-02-05')) v(id, t)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month') OVER (ORDER BY t ROWS 1 PRECEDING) FROM (VALUES (1::bigint, timestamptz '2024-01-05'), (NULL, NULL), (2, 'infinity')) v(id, t)$q$,
-- Rollup: NULLs, none, and summaries whose period or zone differ.
$q$SELECT crm.rollup(s) FROM (VALUES (NULL::crm.cohort_summary)) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary)) v(s) WHERE false$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary), ('{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[]}')) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary), ('{"version":1,"period":"month","time_zone":"Europe/Berlin","key":"bigint","customers":[]}')) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary), ('{"version":1,"period":"month","time_zone":"UTC","key":"text","customers":[]}')) v(s)$q$,
-- Readers: NULL and empty summaries, modes, and periods far apart.
$q$SELECT crm.customers(s), crm.repeat_rate(s) FROM (VALUES (NULL::crm.cohort_summary)) v(s)$q$,
$q$SELECT crm.customers(s), crm.repeat_rate(s) FROM (VALUES ('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary)) v(s)$q$,
$q$SELECT * FROM crm.cohort_retention('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}')$q$,
$q$SELECT * FROM crm.cohort_retention(NULL)$q$,
$q$SELECT * FROM crm.cohort_retention('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}', '')$q$,
$q$SELECT * FROM crm.cohort_retention('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}', 'bogus')$q$,
$q$SELECT * FROM crm.cohort_retention('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}', NULL)$q$,
$q$SELECT * FROM crm.cohort_retention('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}', 'UNBOUNDED')$q$,
$q$SELECT count(*) FROM crm.cohort_retention((SELECT crm.cohort_agg(id, t, 'day') FROM (VALUES (1::bigint, timestamptz '4714-11-24 00:00:00+00 BC'), (1, '294276-12-31 23:59:59+00')) v(id, t)))$q$,
$q$SELECT count(*) FROM crm.cohort_retention((SELECT crm.cohort_agg(id, t, 'day') FROM (VALUES (1::bigint, timestamptz '4714-11-24 00:00:00+00 BC'), (2, '294276-12-31 23:59:59+00'), (2, '294276-12-31 00:00:00+00')) v(id, t)))$q$,
$q$SELECT count(*) FROM crm.cohort_retention((SELECT crm.cohort_agg(id, t, 'day') FROM generate_series(1, 3000) id, LATERAL (SELECT timestamptz '2000-01-01' + id * interval '1 day' UNION ALL SELECT timestamptz '2010-01-01') x(t)))$q$,
$q$SELECT crm.repeat_rate((SELECT crm.cohort_agg(id, t, 'day') FROM (VALUES (1::bigint, timestamptz '4714-11-24 00:00:00+00 BC'), (1, '294276-12-31 23:59:59+00')) v(id, t)))$q$,
-- Malformed and adversarial text of crm.cohort_summary.
$q$SELECT ''::crm.cohort_summary$q$,
$q$SELECT '[1,"month","UTC","bigint",[]]'::crm.cohort_summary$q$,
$q$SELECT '{"version":2,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"fortnight","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"Mars/Olympus_Mons","key":"bigint","customers":[]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"","key":"bigint","customers":[]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"float","customers":[]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["x",[288]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["9223372036854775808",[288]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"uuid","customers":[["a0eebc99-9c0b-4ef8-bb6d",[288]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[288]],["1",[290]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[288,288,288]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[-80570]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["1",[4188944000]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["1",[1e30]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["1",[1.5]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["1",[NaN]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["1",[-9223372036854775809]]]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[],"customers":[]}'::crm.cohort_summary$q$,
$q$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}]'::crm.cohort_summary$q$,
$q$SELECT repeat('[', 100000)::crm.cohort_summary$q$,
$q$SELECT ('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[' || repeat('["1",[288]],', 100000) || '["1",[288]]]}')::crm.cohort_summary$q$,
$q$SELECT crm.customers(('{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["1",[' || (SELECT string_agg(i::text, ',') FROM generate_series(0, 200000) i) || ']]]}')::crm.cohort_summary)$q$,
-- Rows of one aggregate: another spelling of the same period and zone is the same; another zone
-- or period is an error.
$q$SELECT crm.cohort_agg(id, t, p, z)::text FROM (VALUES (1::bigint, timestamptz '2024-01-31 23:30', 'month', 'Europe/Berlin'), (2, '2024-02-05', 'Month', 'europe/berlin'), (3, '2024-03-05', 'month', 'Europe/Berlin')) v(id, t, p, z)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month', z) FROM (VALUES (1::bigint, timestamptz '2024-01-05', 'Europe/Berlin'), (2, '2024-02-05', 'Europe/Paris')) v(id, t, z)$q$,
$q$SELECT crm.cohort_agg(id, t, p) FROM (VALUES (1::bigint, timestamptz '2024-01-05', 'month'), (2, '2024-02-05', 'week')) v(id, t, p)$q$,
$q$SELECT crm.cohort_agg(id, t, 'month', z)::text FROM (VALUES (1::bigint, timestamptz '2024-01-31 23:30', 'UTC'), (2, '2024-02-05', 'GMT'), (3, '2024-03-05', 'Etc/UTC')) v(id, t, z)$q$
]);
