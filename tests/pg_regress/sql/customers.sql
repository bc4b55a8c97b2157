-- Customers family: user-visible output of retention, churn, customer_agg and churn_series.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE TABLE subscriptions (id int, started_at timestamptz, ended_at timestamptz);
INSERT INTO subscriptions VALUES
    (1, '2025-01-01', NULL),                              -- active at start and end
    (2, '2025-01-01', '2025-02-01'),                      -- ends exactly at period_end: lost
    (3, '2024-12-01', '2025-01-01'),                      -- ends exactly at period_start: not counted
    (4, '2025-01-15', '2025-01-20'),                      -- joins and leaves inside the period
    (5, '2025-01-15', NULL),                              -- joiner, still active
    (6, '2025-02-01', NULL),                              -- starts exactly at period_end: new
    (7, '2024-06-01', '2025-01-31 23:59:59');             -- leaves inside the period
INSERT INTO subscriptions
SELECT 100 + g, s, CASE WHEN g % 4 = 0 THEN NULL ELSE s + (g % 113) * interval '2 days 5 hours' END
FROM generate_series(1, 100000) g,
     LATERAL (SELECT timestamptz '2024-01-01' + (g * 7919 % 700) * interval '1 day' + (g % 24) * interval '1 hour' AS s) x;
ANALYZE subscriptions;

-- January 2025 over the hand-made rows: S = {1, 2, 7}, E = {1, 5, 6}, N = {5, 6}, lost = {2, 7}.
SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-02-01') AS retention,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-02-01') AS churn,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-02-01', 'start') AS churn_start,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-02-01', 'average') AS churn_average,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-02-01', 'start_plus_new') AS churn_start_plus_new
FROM subscriptions WHERE id < 100;

SELECT * FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id < 100),
                               '2024-12-01', '2025-03-01', '1 month');
SELECT crm.active_customers(s, '2025-01-01') AS at_jan, crm.active_customers(s, '2025-01-16') AS at_mid_jan,
       crm.customers(s) AS customers
FROM (SELECT crm.customer_agg(started_at, ended_at) AS s FROM subscriptions WHERE id < 100) t;

-- The summary's text form.
SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id IN (1, 2, 5);

-- NULL and empty input.
SELECT crm.retention_rate(s, e, '2025-01-01', '2025-02-01'), crm.customer_agg(s, e)
FROM (VALUES (NULL::timestamptz, NULL::timestamptz)) v(s, e);
-- Nobody active at period_start: the rate is NULL, not 0.
SELECT crm.churn_rate(started_at, ended_at, '2020-01-01', '2020-02-01') AS nobody_active FROM subscriptions;

-- Bad input.
SELECT error_of($$SELECT crm.churn_rate(timestamptz '2025-02-01', timestamptz '2025-01-01', '2025-01-01', '2025-03-01')$$);
SELECT error_of($$SELECT crm.retention_rate(timestamptz '2025-01-01', NULL, '2025-03-01', '2025-02-01')$$);
SELECT error_of($$SELECT crm.churn_rate(timestamptz '2025-01-01', NULL, '2025-01-01', '2025-02-01', 'median')$$);
SELECT error_of($$SELECT crm.customer_agg(timestamptz '2025-02-01', timestamptz '2025-01-01')$$);
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-01-01', '2025-03-01', '0 days')$$);
SELECT error_of($$SELECT crm.active_customers('{"version":1,"customers":0,"spans":[]}', 'infinity')$$);
SELECT error_of($$SELECT 'nonsense'::crm.customer_summary$$);

-- Several periods in one query with GROUP BY.
SELECT period_start, crm.churn_rate(s.started_at, s.ended_at, p.period_start, p.period_start + interval '1 month') AS churn
FROM (VALUES (timestamptz '2025-01-01'), ('2025-02-01')) p(period_start) CROSS JOIN subscriptions s
WHERE s.id < 100 GROUP BY 1 ORDER BY 1;

-- Forced parallel plan: Partial and Finalize Aggregate, same results as serial.
CREATE TABLE serial_result AS
SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-04-01') AS retention,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-04-01', 'average') AS churn,
       crm.customer_agg(started_at, ended_at)::text AS summary
FROM subscriptions;
SELECT force_parallel();
EXPLAIN (COSTS OFF)
SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-04-01'),
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-04-01', 'average'),
       crm.customer_agg(started_at, ended_at)
FROM subscriptions;
SELECT p.retention = s.retention AS retention_equal, p.churn = s.churn AS churn_equal, p.summary = s.summary AS summary_equal
FROM serial_result s,
     (SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-04-01') AS retention,
             crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-04-01', 'average') AS churn,
             crm.customer_agg(started_at, ended_at)::text AS summary
      FROM subscriptions) p;
SELECT serial();

-- Rolling 3-row windows over ordered rows use the inverse transition.
SELECT id, round(crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-02-01')
                 OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)::numeric, 3) AS rolling
FROM subscriptions WHERE id < 100 ORDER BY id;

-- customer_agg as a window function: a growing frame, then a sliding one (no inverse: restarts).
SELECT id, crm.customers(crm.customer_agg(started_at, ended_at) OVER (ORDER BY id)) AS running,
       crm.active_customers(crm.customer_agg(started_at, ended_at) OVER (ORDER BY id ROWS 1 PRECEDING), '2025-01-16') AS pair_active
FROM subscriptions WHERE id < 100 ORDER BY id;

DROP TABLE serial_result, subscriptions;
