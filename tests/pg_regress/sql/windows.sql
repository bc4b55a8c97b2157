-- Every family's aggregates as window functions: frames that start on NULL rows, hold only NULL
-- rows, slide over NULL rows or shrink to empty give what the same rows give with GROUP BY.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- Frames starting on a NULL row (a moving-aggregate transition used to return NULL here).
SELECT i, x,
       crm.nps(x) OVER w AS nps,
       crm.nps_agg(x) OVER w AS nps_agg,
       crm.csat(x / 2) OVER w AS csat,
       crm.csat(x, 9) OVER w AS csat9
FROM (VALUES (1, NULL::int), (2, 9), (3, NULL), (4, NULL), (5, 3), (6, NULL)) t(i, x)
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
ORDER BY i;

-- Rolling up summaries: NULL summaries skipped; a frame of only NULL summaries is NULL, a
-- summary of zero answers is not.
SELECT i, crm.rollup(s) OVER w AS rolled
FROM (VALUES (1, NULL::crm.nps_summary),
             (2, '{"promoters":1,"passives":0,"detractors":2}'),
             (3, NULL), (4, NULL),
             (5, '{"promoters":0,"passives":0,"detractors":0}'),
             (6, NULL)) t(i, s)
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
ORDER BY i;

-- Frames that shrink to empty.
SELECT i, crm.nps_agg(x) OVER w AS nps_agg, crm.csat(x) OVER w AS csat
FROM (VALUES (1, 5), (2, NULL::int), (3, 4)) t(i, x)
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING)
ORDER BY i;

-- Only NULL rows: NULL, as with GROUP BY.
SELECT crm.nps_agg(x) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS windowed,
       (SELECT crm.nps_agg(x) FROM (VALUES (NULL::int)) n(x)) AS grouped
FROM (VALUES (1, NULL::int), (2, NULL)) t(i, x)
ORDER BY i;

-- Retention and churn with a NULL first row, and a NULL denominator.
SELECT i,
       crm.retention_rate(s, e, '2025-01-01', '2025-02-01') OVER w AS retention,
       crm.churn_rate(s, e, '2025-01-01', '2025-02-01') OVER w AS churn,
       crm.churn_rate(s, e, '2025-01-01', '2025-02-01', d) OVER w AS churn_average
FROM (VALUES (1, NULL::timestamptz, NULL::timestamptz, 'average'),
             (2, '2024-12-01', '2025-01-15', 'average'),
             (3, '2024-12-01', NULL, NULL),
             (4, '2024-12-15', NULL, 'average'),
             (5, NULL, NULL, 'average')) t(i, s, e, d)
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
ORDER BY i;

-- A frame forgets the denominator of the rows it slid past.
SELECT i, crm.churn_rate(s, NULL, '2025-01-01', '2025-02-01', d)
              OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND CURRENT ROW) AS churn
FROM (VALUES (1, '2024-12-01'::timestamptz, 'start'), (2, '2024-12-01', 'average')) t(i, s, d)
ORDER BY i;

-- The aggregates without an inverse transition, over the same kind of frames.
SELECT i,
       crm.customers(crm.customer_agg(s, e) OVER w) AS customers,
       crm.customers(crm.cohort_agg(id, s, 'month') OVER w) AS cohort_customers
FROM (VALUES (1, NULL::bigint, NULL::timestamptz, NULL::timestamptz),
             (2, 7, '2025-01-05', NULL),
             (3, NULL, NULL, NULL),
             (4, NULL, NULL, NULL),
             (5, 8, '2025-02-05', '2025-03-01')) t(i, id, s, e)
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
ORDER BY i;

-- An error of a window aggregate names the aggregate the query calls, as the same rows under
-- GROUP BY do, not the support function that raised it (running and sliding frames; a clause
-- with another crm aggregate too).
SELECT k, crm.rollup(s) OVER (ORDER BY k)
FROM (VALUES (1, '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[300]]]}'::crm.cohort_summary),
             (2, '{"version":1,"period":"week","time_zone":"UTC","key":"bigint","customers":[["1",[300]]]}')) v(k, s);
SELECT k, crm.rollup(s) OVER w, crm.nps(k) OVER w
FROM (VALUES (1, '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[300]]]}'::crm.cohort_summary),
             (2, '{"version":1,"period":"week","time_zone":"UTC","key":"bigint","customers":[["1",[300]]]}')) v(k, s)
WINDOW w AS (ORDER BY k);
SELECT k, crm.rollup(s) OVER (ORDER BY k)
FROM (VALUES (1, '{"promoters":9223372036854775800,"passives":0,"detractors":0}'::crm.nps_summary),
             (2, '{"promoters":9,"passives":1,"detractors":0}')) v(k, s);
SELECT k, crm.rollup(s) OVER (ORDER BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
FROM (VALUES (1, '{"promoters":9223372036854775800,"passives":0,"detractors":0}'::crm.nps_summary),
             (2, '{"promoters":9,"passives":1,"detractors":0}')) v(k, s);
SELECT crm.rollup(s)
FROM (VALUES (1, '{"promoters":9223372036854775800,"passives":0,"detractors":0}'::crm.nps_summary),
             (2, '{"promoters":9,"passives":1,"detractors":0}')) v(k, s);
