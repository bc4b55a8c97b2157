-- Cohorts family: user-visible output of cohort_agg, cohort_retention, repeat_rate, rollup.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE TABLE activity (customer_id bigint, occurred_at timestamptz);
INSERT INTO activity VALUES
    (1, '2024-01-05'), (1, '2024-02-10'), (1, '2024-04-01'),   -- skips March
    (2, '2024-01-20'), (2, '2024-01-25'),                      -- January only, twice
    (3, '2024-02-01'), (3, '2024-03-31 23:30+00'),             -- April 1st in Berlin
    (4, '2024-03-15');
INSERT INTO activity
SELECT 100 + (g * 7919) % 20000, timestamptz '2023-01-01' + ((g * 104729) % 730) * interval '1 day'
FROM generate_series(1::bigint, 200000) g;
ANALYZE activity;

-- Classic: active in period k exactly; unbounded: active in period k or later.
SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, occurred_at, 'month') FROM activity WHERE customer_id < 100));
SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, occurred_at, 'month') FROM activity WHERE customer_id < 100), 'unbounded');
-- Calendar boundaries in Berlin: customer 3's last event is in April there.
SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, occurred_at, 'month', 'Europe/Berlin') FROM activity WHERE customer_id < 100));
-- ISO weeks start on Monday: 2024-01-01 is a Monday.
SELECT cohort, period_number, cohort_size, active_customers
FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, occurred_at, 'week') FROM activity WHERE customer_id IN (1, 2)))
WHERE active_customers > 0;
SELECT crm.repeat_rate(s), crm.customers(s), s
FROM (SELECT crm.cohort_agg(customer_id, occurred_at, 'month') AS s FROM activity WHERE customer_id < 100) t;

-- Text, uuid and bigint ids give the same table.
SELECT count(*) AS differences FROM (
    SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, occurred_at, 'quarter') FROM activity))
    EXCEPT
    SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(md5(customer_id::text)::uuid, occurred_at, 'quarter') FROM activity))
    EXCEPT
    SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg('c' || customer_id, occurred_at, 'quarter') FROM activity))) d;

-- NULL and empty input.
SELECT crm.cohort_agg(id, at, 'month') FROM (VALUES (NULL::bigint, now()), (1, NULL)) v(id, at);
SELECT crm.cohort_agg(id, at, 'month') FROM (SELECT 1::bigint, now() WHERE false) v(id, at);
SELECT * FROM crm.cohort_retention('{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}');

-- Bad input.
SELECT error_of($$SELECT crm.cohort_agg(1::bigint, now(), 'fortnight')$$);
SELECT error_of($$SELECT crm.cohort_agg(1::bigint, now(), 'month', 'Mars/Olympus')$$);
-- Zones that count leap seconds are refused, as SET TIME ZONE refuses them, and the message says so.
-- (A Postgres built with its own zone data has no right/ zones: there the name is unknown.)
SELECT left(e, 5) AS sqlstate, e LIKE '%counts leap seconds%' OR error_of($q$SELECT now() AT TIME ZONE 'right/UTC'$q$) <> 'no error' AS says_why FROM error_of($$SELECT crm.cohort_agg(1::bigint, now(), 'month', 'right/America/New_York')$$) e;
SELECT error_of($$SELECT crm.cohort_agg(1::bigint, 'infinity', 'month')$$);
SELECT error_of($$SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(1::bigint, now(), 'month')), 'forever')$$);
SELECT error_of($$SELECT crm.rollup(s) FROM (SELECT crm.cohort_agg(1::bigint, now(), 'month') UNION ALL SELECT crm.cohort_agg(1::bigint, now(), 'week')) t(s)$$);
SELECT error_of($$SELECT 'nonsense'::crm.cohort_summary$$);

-- Rollup of per-shard summaries equals one pass.
SELECT (SELECT crm.rollup(s)::text FROM (SELECT crm.cohort_agg(customer_id, occurred_at, 'month') s FROM activity GROUP BY customer_id % 4) t)
     = (SELECT crm.cohort_agg(customer_id, occurred_at, 'month')::text FROM activity) AS rollup_equals_one_pass;

-- Forced parallel plan: Partial and Finalize Aggregate, same summary as serial.
CREATE TABLE serial_result AS SELECT crm.cohort_agg(customer_id, occurred_at, 'month')::text AS summary FROM activity;
SELECT force_parallel();
-- Merging these growing states is costed by the rows aggregated (crm_internal.merged_state_cost),
-- so the planner would rather gather the rows: free operators and a small tuple cost force the
-- partial aggregates whose combine this checks.
SET cpu_operator_cost = 0;
SET parallel_tuple_cost = 0.0001;
EXPLAIN (COSTS OFF) SELECT crm.cohort_agg(customer_id, occurred_at, 'month') FROM activity;
SELECT (SELECT crm.cohort_agg(customer_id, occurred_at, 'month')::text FROM activity) = summary AS parallel_equals_serial
FROM serial_result;
SELECT serial();
RESET cpu_operator_cost;

-- cohort_agg as a window function: running customers and repeat rate as events arrive.
SELECT customer_id, occurred_at::date AS day,
       crm.customers(s) AS customers, crm.repeat_rate(s) AS repeat_rate
FROM (SELECT customer_id, occurred_at,
             crm.cohort_agg(customer_id, occurred_at, 'month') OVER (ORDER BY occurred_at, customer_id) AS s
      FROM activity WHERE customer_id < 100) t
ORDER BY occurred_at, customer_id;

DROP TABLE serial_result, activity;

-- Zone names are read as AT TIME ZONE reads them: 'CET' is the fixed +01:00 abbreviation there
-- (no summer time), 'pst' an abbreviation too; a dynamic abbreviation is refused.
SELECT z, (t AT TIME ZONE z)::date AS at_time_zone, r.cohort,
       (t AT TIME ZONE z)::date = r.cohort AS agrees
FROM (SELECT z, t, crm.cohort_agg(1::bigint, t, 'day', z) AS s
      FROM (VALUES ('CET'), ('EET'), ('MET'), ('WET'), ('pst'), ('Europe/Paris')) zones(z),
           (VALUES (timestamptz '2024-07-01 22:30 UTC')) i(t)
      GROUP BY z, t) x,
     LATERAL crm.cohort_retention(x.s) r
ORDER BY z;
SELECT crm.cohort_agg(1::bigint, now(), 'day', 'MSK');
-- The same name in the same backend follows SET timezone_abbreviations: 'EST' is -05:00 in
-- Default and +10:00 in Australia.
SELECT current_setting('timezone_abbreviations') AS abbreviations,
       (timestamptz '2024-07-01 20:00 UTC' AT TIME ZONE 'EST')::date AS at_time_zone,
       (SELECT cohort FROM crm.cohort_retention((SELECT crm.cohort_agg(1::bigint, timestamptz '2024-07-01 20:00 UTC', 'day', 'EST')))) AS cohort;
SET timezone_abbreviations = 'Australia';
SELECT current_setting('timezone_abbreviations') AS abbreviations,
       (timestamptz '2024-07-01 20:00 UTC' AT TIME ZONE 'EST')::date AS at_time_zone,
       (SELECT cohort FROM crm.cohort_retention((SELECT crm.cohort_agg(1::bigint, timestamptz '2024-07-01 20:00 UTC', 'day', 'EST')))) AS cohort;
RESET timezone_abbreviations;
SELECT period_start AT TIME ZONE 'CET' AS local_start, new_customers
FROM crm.churn_series((SELECT crm.customer_agg(s, NULL) FROM (VALUES (timestamptz '2024-07-31 22:30 UTC')) v(s)),
                      date '2024-07-01', date '2024-09-01', '1 month', 'start', 'CET');
