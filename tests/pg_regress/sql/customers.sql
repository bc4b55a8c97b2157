-- Customers family: user-visible output of retention, churn, customer_agg and churn_series.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE TABLE subscriptions (id int, started_at timestamptz, ended_at timestamptz);
INSERT INTO subscriptions VALUES
    (1, '2025-01-01', NULL),                              -- starts exactly at period_start: January's new
    (2, '2025-01-01', '2025-02-01'),                      -- January's new; ends exactly at period_end: lost in February
    (3, '2024-12-01', '2025-01-01'),                      -- ends exactly at period_start: lost in January
    (4, '2025-01-15', '2025-01-20'),                      -- joins and leaves inside the period
    (5, '2025-01-15', NULL),                              -- joiner, still active
    (6, '2025-02-01', NULL),                              -- starts exactly at period_end: February's new
    (7, '2024-06-01', '2025-01-31 23:59:59');             -- leaves inside the period
INSERT INTO subscriptions
SELECT 100 + g, s, CASE WHEN g % 4 = 0 THEN NULL ELSE s + (g % 113) * interval '2 days 5 hours' END
FROM generate_series(1, 100000) g,
     LATERAL (SELECT timestamptz '2024-01-01' + (g * 7919 % 700) * interval '1 day' + (g % 24) * interval '1 hour' AS s) x;
ANALYZE subscriptions;

-- January 2025 over the hand-made rows (periods are half-open: new where started_at falls, lost
-- where ended_at falls): S = {3, 7}, E = {1, 2, 5}, N = {1, 2, 5}, lost = {3, 7}.
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
-- Also where the series is empty (from = to, to before from).
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-01-01', '2025-01-01', '0 days')$$);
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-03-01', '2025-01-01', '-1 month')$$);
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
-- Merging these growing states is costed by the rows aggregated (crm_internal.merged_state_cost),
-- so the planner would rather gather the rows: free operators and a small tuple cost force the
-- partial aggregates whose combine this checks.
SET cpu_operator_cost = 0;
SET parallel_tuple_cost = 0.0001;
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
RESET cpu_operator_cost;

-- Rolling 3-row windows over ordered rows use the inverse transition.
SELECT id, round(crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-02-01')
                 OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)::numeric, 3) AS rolling
FROM subscriptions WHERE id < 100 ORDER BY id;

-- customer_agg as a window function: a growing frame, then a sliding one (no inverse: restarts).
SELECT id, crm.customers(crm.customer_agg(started_at, ended_at) OVER (ORDER BY id)) AS running,
       crm.active_customers(crm.customer_agg(started_at, ended_at) OVER (ORDER BY id ROWS 1 PRECEDING), '2025-01-16') AS pair_active
FROM subscriptions WHERE id < 100 ORDER BY id;

-- Boundary rule with DATE columns (CRM tables often hold the 1st of a month): a contract starting
-- 2025-02-01 is February's new customer, one ending 2025-03-01 is lost in March, and a row with
-- ended_at = started_at was never a customer.
CREATE TABLE contracts (id int, started_on date, ended_on date);
INSERT INTO contracts VALUES (1, '2025-02-01', NULL), (2, '2024-06-01', '2025-03-01'), (3, '2025-01-15', '2025-01-15');
SELECT period_start::date, customers_at_start, customers_at_end, new_customers, churned_customers, churn_rate
FROM crm.churn_series((SELECT crm.customer_agg(started_on, ended_on) FROM contracts), '2025-01-01', '2025-05-01', '1 month');
SELECT crm.churn_rate(started_on, ended_on, date '2025-03-01', date '2025-04-01') AS march_churn,
       crm.retention_rate(started_on, ended_on, date '2025-02-01', date '2025-03-01') AS february_retention
FROM contracts;
SELECT crm.customer_agg(started_on, ended_on) AS only_zero_length FROM contracts WHERE id = 3;

-- churn_series with each denominator (rows equal crm.churn_rate(..., denominator)).
SELECT d.denominator, s.period_start::date, round(s.churn_rate::numeric, 4) AS churn,
       round(crm.churn_rate(c.started_at, c.ended_at, s.period_start, s.period_end, d.denominator)::numeric, 4) AS one_step
FROM (VALUES ('start'), ('average'), ('start_plus_new')) d(denominator)
CROSS JOIN LATERAL crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id < 100),
                                    '2025-01-01', '2025-03-01', '1 month', d.denominator, 'UTC') s
CROSS JOIN subscriptions c WHERE c.id < 100
GROUP BY 1, 2, 3 ORDER BY 1, 2;

-- Calendar steps in a time zone: each row starts at local midnight of the 1st.
SET timezone = 'Europe/Berlin';
SELECT period_start, period_end, customers_at_start, new_customers, churned_customers
FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id < 100),
                      '2025-01-01 00:00 Europe/Berlin', '2025-04-01 00:00 Europe/Berlin', '1 month', 'start', 'Europe/Berlin');
-- The default time zone is the session's.
SELECT period_start FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id < 100),
                                          '2025-03-01', '2025-05-01', '1 month');
SET timezone = 'UTC';
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id < 100),
                                                      '2025-03-01 00:00 America/New_York', '2025-05-01', '1 month', 'start', 'America/New_York');

-- Local bounds (the analyst's case, session in UTC): date bounds are local dates in the series'
-- zone, so every row starts at New York midnight and the quarter has three whole months.
SELECT period_start, period_end, period_start AT TIME ZONE 'America/New_York' AS local_start,
       customers_at_start, churned_customers, round(churn_rate::numeric, 4) AS churn_average
FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id < 100),
                      date '2025-10-01', date '2026-01-01', '1 month', 'average', 'America/New_York');
-- The same bounds as timestamptz text are UTC midnights, not New York ones: an error naming both
-- readings, not a series shifted by four hours with a short extra row.
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-10-01', '2026-01-01', '1 month', 'average', 'America/New_York')$$);
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-10-01 12:00', '2025-10-05', '1 day', 'start', 'UTC')$$);
-- The suggested date is the session's local date as Postgres prints it, past year 9999 and BC too.
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(timestamptz '2000-01-01', NULL)), timestamptz '12345-06-01', timestamptz '12345-09-01', '1 month', 'start', 'America/New_York')$$);
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(timestamptz '2000-01-01', NULL)), timestamptz '0044-03-15 BC', timestamptz '0044-06-15 BC', '1 month', 'start', 'America/New_York')$$);
-- Local midnight given as an instant is accepted, and equals the date form.
SELECT (SELECT array_agg(a::text ORDER BY a.period_start)
        FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id < 100),
                              timestamp '2025-10-01' AT TIME ZONE 'America/New_York', timestamp '2026-01-01' AT TIME ZONE 'America/New_York',
                              '1 month', 'average', 'America/New_York') a)
     = (SELECT array_agg(b::text ORDER BY b.period_start)
        FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subscriptions WHERE id < 100),
                              date '2025-10-01', date '2026-01-01', '1 month', 'average', 'America/New_York') b) AS same_rows;
-- No row is shorter than its step: a "to" off the step grid ends the series at the last whole period.
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), date '2025-01-01', date '2025-03-15', '1 month', 'start', 'UTC');
-- A local midnight that does not exist (Paraguay moved its clocks from 00:00 to 01:00 on
-- 2023-10-01) moves only its own boundary to 01:00, as date_trunc in the zone does; every
-- later row starts at midnight again, and the series keeps its May (9 rows). A customer who
-- started at 00:30 local on 2024-03-01 is new in March.
SELECT period_start AT TIME ZONE 'America/Asuncion' AS local_start, period_end AT TIME ZONE 'America/Asuncion' AS local_end,
       new_customers,
       (SELECT count(*) FROM (VALUES (timestamp '2024-03-01 00:30' AT TIME ZONE 'America/Asuncion')) c(t)
        WHERE date_trunc('month', t AT TIME ZONE 'America/Asuncion') = period_start AT TIME ZONE 'America/Asuncion') AS by_date_trunc
FROM crm.churn_series((SELECT crm.customer_agg(t, NULL) FROM (VALUES (timestamp '2024-03-01 00:30' AT TIME ZONE 'America/Asuncion')) c(t)),
                      date '2023-09-01', date '2024-06-01', '1 month', 'start', 'America/Asuncion');
-- A local day the zone skips has no row: Samoa went from 2011-12-29 to 2011-12-31.
SELECT period_start AT TIME ZONE 'Pacific/Apia' AS local_start, period_end AT TIME ZONE 'Pacific/Apia' AS local_end
FROM crm.churn_series((SELECT crm.customer_agg(timestamptz '2020-01-01', NULL)), date '2011-12-28', date '2012-01-02', '1 day', 'start', 'Pacific/Apia');
-- Where the clocks go back from 01:00 to 00:00 (Cuba, 2024-11-03), local midnight comes twice:
-- the day starts at the first one, as date_trunc in the zone says, so a customer of the first
-- hour after it (local 00:00 to 01:00 in summer time) is new on the 3rd, not the 2nd.
SELECT period_start, period_end, new_customers,
       (SELECT count(*) FROM generate_series(timestamptz '2024-11-02 02:00+00', '2024-11-04 06:00+00', '15 minutes') t
        WHERE date_trunc('day', t AT TIME ZONE 'America/Havana') = period_start AT TIME ZONE 'America/Havana') AS by_date_trunc
FROM crm.churn_series((SELECT crm.customer_agg(t, NULL) FROM generate_series(timestamptz '2024-11-02 02:00+00', '2024-11-04 06:00+00', '15 minutes') t),
                      date '2024-11-02', date '2024-11-05', '1 day', 'start', 'America/Havana');
-- Either midnight is a local midnight for "from".
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), timestamptz '2024-11-03 04:00+00', timestamptz '2024-11-05 05:00+00', '1 day', 'start', 'America/Havana');
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), timestamptz '2024-11-03 05:00+00', timestamptz '2024-11-05 05:00+00', '1 day', 'start', 'America/Havana');
-- Steps with a time part take "from" as it is.
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-01-01 06:00', '2025-01-03', '12 hours', 'start', 'UTC');
-- Date bounds default to the session's zone; infinite dates are refused.
SET timezone = 'Europe/Berlin';
SELECT period_start FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), date '2025-03-01', date '2025-05-01', '1 month');
SET timezone = 'UTC';
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), date '-infinity', date '2025-05-01', '1 month')$$);
-- The default zone is the session's, read as the session reads it: in a session set to 'CET'
-- (or 'EET', 'WET') the months follow the zone file's summer time, where AT TIME ZONE 'CET' is
-- the abbreviation, +01:00 all year. Each row starts where timestamptz + interval puts it.
SET timezone = 'CET';
SELECT period_start, period_end, period_start = timestamptz '2025-02-01' + (n - 1) * interval '1 month' AS as_session
FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), date '2025-02-01', date '2025-06-01', '1 month') WITH ORDINALITY s(period_start, period_end, a, b, c, d, e, f, n);
SELECT count(*) FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-06-01', '2025-09-01', '1 month');
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), date '2025-03-01', date '2025-05-01', '1 month', 'start', 'cet');
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-06-01 03:00', '2025-09-01', '1 month')$$);
SET timezone = 'EET';
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-02-01', '2025-05-01', '1 month');
-- Under another abbreviation table 'EST' is +10:00 for AT TIME ZONE, while a session set to
-- 'EST' follows the zone file (-05:00): the default follows the session.
SET timezone_abbreviations = 'Australia';
SET timezone = 'EST';
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-01-01', '2025-03-01', '1 month');
RESET timezone_abbreviations;
-- Another zone's name is read as AT TIME ZONE reads it: 'CET' from a UTC session is +01:00.
SET timezone = 'UTC';
SELECT period_start, period_end FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), date '2025-06-01', date '2025-08-01', '1 month', 'start', 'CET');
-- Zones that count leap seconds are refused, as SET TIME ZONE refuses them: AT TIME ZONE reads
-- instants there 27 seconds off and local times back without them, which moved every boundary.
-- (A Postgres built with its own zone data has no right/ zones: there the name is unknown.)
SELECT left(e, 5) AS sqlstate, e LIKE '%counts leap seconds%' OR error_of($q$SELECT now() AT TIME ZONE 'right/UTC'$q$) <> 'no error' AS says_why FROM error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), date '2023-01-01', date '2023-06-01', '1 month', 'start', 'right/UTC')$$) e;
SELECT left(e, 5) AS sqlstate, e LIKE '%counts leap seconds%' OR error_of($q$SELECT now() AT TIME ZONE 'right/UTC'$q$) <> 'no error' AS says_why FROM error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2023-01-01', '2023-01-03', '1 day', 'start', 'Right/America/New_York')$$) e;

-- Past the timestamp range, unknown zones and denominators: clean errors naming the function.
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-01-01', '2026-01-01', '300000 years')$$);
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '294276-12-01', '294276-12-02', '1 month')$$);
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), date '4714-11-24 BC', date '4714-11-27 BC', '1 day', 'start', 'Asia/Tokyo')$$);
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-01-01', '2025-03-01', '1 month', 'start', 'Mars/Olympus_Mons')$$);
SELECT error_of($$SELECT * FROM crm.churn_series((SELECT crm.customer_agg(now(), NULL)), '2025-01-01', '2025-03-01', '1 month', 'median')$$);

DROP TABLE serial_result, subscriptions, contracts;
