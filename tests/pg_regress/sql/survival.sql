-- Survival family: crm.survival_agg (customer form and general form), crm.rollup, the curve with
-- its interval, survival at a duration, median and its interval, restricted mean, life table and
-- log-rank test; compared with lifelines 0.27.8 on a textbook table and on the generated
-- customers of tests/fixtures/survival (generate.py writes lifelines' numbers next to them).
-- Comparisons print only pass/fail booleans and counts.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

-- The textbook table: remission times in weeks of leukemia patients (Freireich et al., 1963, as
-- Kleinbaum & Klein print it): the 6-MP group with censored patients, the placebo group without.
CREATE TEMP TABLE remission (grp text, weeks integer, relapsed boolean);
INSERT INTO remission
SELECT '6-MP', w, r FROM unnest(
    ARRAY[6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35],
    ARRAY[true, true, true, false, true, false, true, false, false, true, true, false, false,
          false, true, true, false, false, false, false, false]) AS t(w, r)
UNION ALL
SELECT 'placebo', w, true FROM unnest(
    ARRAY[1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]) AS t(w);
CREATE TEMP TABLE remission_s AS
SELECT grp, crm.survival_agg(weeks * interval '7 days', relapsed) AS s FROM remission GROUP BY grp;

SELECT time, at_risk, events, censored, round(survival::numeric, 4) AS survival,
       round(low::numeric, 4) AS low, round(high::numeric, 4) AS high
FROM remission_s, crm.survival_curve(s) WHERE grp = '6-MP';

-- lifelines: KaplanMeierFitter().fit(weeks, relapsed) for the 6-MP group.
SELECT count(*) AS rows,
       bool_and(abs(c.survival - l.survival) <= 1e-9 AND abs(c.low - l.low) <= 1e-9
                AND abs(c.high - l.high) <= 1e-9) AS matches_lifelines
FROM remission_s, crm.survival_curve(s) c
JOIN (VALUES (6, 0.857142857142857, 0.6197179552659838, 0.9515517476469969),
             (7, 0.8067226890756299, 0.5631465646222333, 0.9228090192028802),
             (9, 0.8067226890756299, 0.5631465646222333, 0.9228090192028802),
             (10, 0.7529411764705878, 0.5031995107999564, 0.8893618351692651),
             (11, 0.7529411764705878, 0.5031995107999564, 0.8893618351692651),
             (13, 0.6901960784313722, 0.43161022248618386, 0.8490659633494504),
             (16, 0.6274509803921563, 0.36751085598750194, 0.8049121894718406),
             (17, 0.6274509803921563, 0.36751085598750194, 0.8049121894718406),
             (19, 0.6274509803921563, 0.36751085598750194, 0.8049121894718406),
             (20, 0.6274509803921563, 0.36751085598750194, 0.8049121894718406),
             (22, 0.5378151260504197, 0.2677789367671349, 0.7467907176353941),
             (23, 0.4481792717086831, 0.1880520059592323, 0.680142628495241),
             (25, 0.4481792717086831, 0.1880520059592323, 0.680142628495241),
             (32, 0.4481792717086831, 0.1880520059592323, 0.680142628495241),
             (34, 0.4481792717086831, 0.1880520059592323, 0.680142628495241),
             (35, 0.4481792717086831, 0.1880520059592323, 0.680142628495241))
     AS l(weeks, survival, low, high) ON c.time = l.weeks * interval '7 days'
WHERE grp = '6-MP';

-- Median 23 weeks, its interval from 13 weeks to never (lifelines: inf); the placebo group's
-- curve reaches 0 at 23 weeks, where the interval is [0, 0].
SELECT grp, crm.median_survival(s), m.low, m.high
FROM remission_s, crm.median_survival_interval(s) m ORDER BY grp;
SELECT survival, low, high FROM remission_s, crm.survival_curve(s)
WHERE grp = 'placebo' AND time = '161 days';
-- Restricted mean up to 10, 20, 35 and 50 weeks: lifelines 9.277310924369745,
-- 16.11652661064425, 23.28739495798318, 30.010084033613428 weeks.
SELECT bool_and(abs(extract(epoch FROM crm.restricted_mean_survival(s, h * interval '7 days'))
                    / 604800 - l) <= 1e-9) AS restricted_mean_matches
FROM remission_s,
     (VALUES (10, 9.277310924369745), (20, 16.11652661064425), (35, 23.28739495798318),
             (50, 30.010084033613428)) AS v(h, l)
WHERE grp = '6-MP';
SELECT crm.survival_at(s, '0 days') AS at_0, round(crm.survival_at(s, '42 days')::numeric, 6) AS at_6_weeks,
       round(crm.survival_at(s, '41 days 23:59:59.999999')::numeric, 6) AS just_before
FROM remission_s WHERE grp = '6-MP';
-- Log-rank test: lifelines 16.792940989216536, p 4.1688091093345355e-05 (Kleinbaum & Klein
-- print 16.79).
SELECT abs(chi_square - 16.792940989216536) <= 1e-9 AS chi_square_matches,
       abs(p_value / 4.1688091093345355e-05 - 1) <= 1e-6 AS p_value_matches
FROM crm.logrank_test((SELECT s FROM remission_s WHERE grp = '6-MP'),
                      (SELECT s FROM remission_s WHERE grp = 'placebo'));
-- The life table by 4 weeks of both groups together.
SELECT period, period_start, at_risk, events, censored, round(hazard::numeric, 4) AS hazard,
       round(survival::numeric, 4) AS survival
FROM crm.life_table((SELECT crm.rollup(s) FROM remission_s), '28 days', 10);

-- The generated customers: the customer form, per segment and together.
CREATE TEMP TABLE customers (customer_id integer, segment text, started_at timestamptz, ended_at timestamptz);
\copy customers FROM 'tests/fixtures/survival/customers.csv' CSV HEADER
CREATE TEMP TABLE lifelines_curve (segment text, time_us bigint, time_days float8, at_risk bigint,
    events bigint, censored bigint, survival float8, low float8, high float8);
\copy lifelines_curve FROM 'tests/fixtures/survival/curve.csv' CSV HEADER
CREATE TEMP TABLE lifelines_medians (segment text, median_us bigint, low_us bigint, high_us bigint);
\copy lifelines_medians FROM 'tests/fixtures/survival/medians.csv' CSV HEADER
CREATE TEMP TABLE lifelines_rmst (segment text, horizon_days integer, rmst_days float8);
\copy lifelines_rmst FROM 'tests/fixtures/survival/rmst.csv' CSV HEADER
CREATE TEMP TABLE lifelines_logrank (comparison text, chi_square float8, p_value float8);
\copy lifelines_logrank FROM 'tests/fixtures/survival/logrank.csv' CSV HEADER

CREATE TEMP TABLE segments AS
SELECT segment, crm.survival_agg(started_at, ended_at, '2026-01-01') AS s FROM customers GROUP BY segment
UNION ALL
SELECT 'all', crm.survival_agg(started_at, ended_at, '2026-01-01') FROM customers;
SELECT segment, count(*) AS durations FROM segments, crm.survival_curve(s) GROUP BY 1 ORDER BY 1;

-- The curve: every duration, its counts, survival to 1e-9 and interval to 1e-6.
WITH ours AS (
    SELECT segment, round(extract(epoch FROM c.time) * 1000000)::bigint AS time_us, c.*
    FROM segments, crm.survival_curve(s) c)
SELECT l.segment, count(*) AS rows,
       count(o.time_us) AS matched,
       bool_and(o.at_risk = l.at_risk AND o.events = l.events AND o.censored = l.censored) AS counts_equal,
       bool_and(abs(o.survival - l.survival) <= 1e-9) AS survival_matches,
       bool_and(abs(o.low - l.low) <= 1e-6 AND abs(o.high - l.high) <= 1e-6) AS interval_matches
FROM lifelines_curve l LEFT JOIN ours o USING (segment, time_us)
GROUP BY 1 ORDER BY 1;
-- No duration of ours that lifelines does not have.
SELECT count(*) AS extra_durations
FROM segments, crm.survival_curve(s) c
WHERE NOT EXISTS (SELECT FROM lifelines_curve l WHERE l.segment = segments.segment
                  AND l.time_us = round(extract(epoch FROM c.time) * 1000000));
-- Median and its interval.
SELECT l.segment,
       crm.median_survival(s) IS NOT DISTINCT FROM l.median_us * interval '1 microsecond' AS median_matches,
       m.low IS NOT DISTINCT FROM l.low_us * interval '1 microsecond'
       AND m.high IS NOT DISTINCT FROM l.high_us * interval '1 microsecond' AS interval_matches
FROM lifelines_medians l JOIN segments USING (segment), crm.median_survival_interval(s) m
ORDER BY 1;
-- Restricted mean survival time at 30, 90, 365, 730 and 2000 days (exact to the microsecond).
SELECT segment, count(*) AS horizons,
       bool_and(abs(extract(epoch FROM crm.restricted_mean_survival(s, horizon_days * interval '1 day'))
                    / 86400 / rmst_days - 1) <= 1e-9) AS restricted_mean_matches
FROM lifelines_rmst JOIN segments USING (segment) GROUP BY 1 ORDER BY 1;
-- Log-rank: SMB against Enterprise, and odd against even customer ids.
SELECT l.comparison, abs(t.chi_square / l.chi_square - 1) <= 1e-6 AS chi_square_matches,
       abs(t.p_value / l.p_value - 1) <= 1e-6 AS p_value_matches
FROM lifelines_logrank l,
     LATERAL (SELECT * FROM crm.logrank_test(
         (SELECT crm.survival_agg(started_at, ended_at, '2026-01-01') FROM customers
          WHERE CASE l.comparison WHEN 'segments' THEN segment = 'SMB' ELSE customer_id % 2 = 1 END),
         (SELECT crm.survival_agg(started_at, ended_at, '2026-01-01') FROM customers
          WHERE CASE l.comparison WHEN 'segments' THEN segment = 'Enterprise' ELSE customer_id % 2 = 0 END))) t
ORDER BY 1;

-- The general form over the same durations gives the same summary; rollup of the segments too;
-- the text form reads back; a forced parallel plan gives the same summary.
SELECT (SELECT crm.survival_agg(least(coalesce(ended_at, 'infinity'), '2026-01-01') - started_at,
                                coalesce(ended_at <= '2026-01-01', false))
        FROM customers WHERE started_at <= '2026-01-01')
       OPERATOR(crm.=) (SELECT s FROM segments WHERE segment = 'all') AS general_form_equal,
       (SELECT crm.rollup(s) FROM segments WHERE segment <> 'all')
       OPERATOR(crm.=) (SELECT s FROM segments WHERE segment = 'all') AS rollup_equal,
       (SELECT s::text::crm.survival_summary OPERATOR(crm.=) s FROM segments WHERE segment = 'all') AS text_round_trips;
CREATE TABLE survival_parallel AS SELECT * FROM customers, generate_series(1, 20) AS copy;
ANALYZE survival_parallel;
SELECT force_parallel();
SELECT crm.survival_agg(started_at, ended_at, '2026-01-01') OPERATOR(crm.=)
       (SELECT crm.survival_agg(started_at, ended_at, '2026-01-01') FROM customers, generate_series(1, 20))
       AS parallel_equal
FROM survival_parallel;
SELECT serial();
DROP TABLE survival_parallel;

-- Empty and NULL: no usable row gives NULL, accessors of NULL give NULL.
SELECT crm.survival_agg(d, e) IS NULL AS no_rows FROM (VALUES (interval '0 days', true), (NULL, true)) v(d, e);
SELECT crm.median_survival(NULL), crm.survival_at(NULL, '1 day'), crm.restricted_mean_survival(NULL, '1 day');
SELECT count(*) FROM crm.survival_curve(NULL);
-- A summary read from an empty text form: no curve rows, NULLs elsewhere.
SELECT crm.median_survival(s), crm.survival_at(s, '1 day'), crm.restricted_mean_survival(s, '1 day'),
       (SELECT count(*) FROM crm.survival_curve(s)) AS curve_rows, (SELECT count(*) FROM crm.life_table(s, '1 day', 3)) AS table_rows
FROM (SELECT '{"version":1,"durations":[]}'::crm.survival_summary AS s) x;
SELECT * FROM crm.logrank_test('{"version":1,"durations":[]}', '{"version":1,"durations":[[1,1,0]]}');
SELECT * FROM crm.median_survival_interval('{"version":1,"durations":[]}');
-- Bad values.
SELECT error_of($$SELECT crm.survival_agg(timestamptz '2025-02-01', '2025-01-01', '2025-03-01')$$);
SELECT error_of($$SELECT crm.survival_agg(interval '1 month', true)$$);
SELECT error_of($$SELECT crm.survival_agg(interval '-1 second', false)$$);
SELECT error_of($$SELECT * FROM crm.survival_curve('{"version":1,"durations":[[1,1,0]]}', 1.5)$$);
SELECT error_of($$SELECT * FROM crm.life_table('{"version":1,"durations":[[1,1,0]]}', '0 days', 5)$$);
SELECT error_of($$SELECT '{"version":1,"durations":[[5,0,0]]}'::crm.survival_summary$$);
-- An exact half is the median although the product of the step factors rounds above it
-- (lifelines: 12 days, 19 days and 3 days).
SELECT crm.median_survival(crm.survival_agg(g * interval '1 day', true)) FROM generate_series(1, 24) g;
SELECT crm.median_survival(crm.survival_agg(g * interval '1 day', true)) FROM generate_series(1, 38) g;
SELECT crm.median_survival(crm.survival_agg(d * interval '1 day', e))
FROM (VALUES (1, true), (2, true), (2, true), (3, true), (3, true), (5, false), (23, true), (80, true), (291, false), (970, true)) v(d, e);
-- A survival above a half by 3.75e-11 after 99,998 steps is not a half: S(199,996 s) =
-- 100000/199997 * 66666/66667 (lifelines: 199,998 s).
SELECT crm.median_survival(s), crm.survival_at(s, '199996 seconds') > 0.5 AS above_half_before
FROM (SELECT crm.survival_agg(d, gone) s
      FROM (SELECT 2 * g * interval '1 second' AS d, true AS gone FROM generate_series(1, 99997) g
            UNION ALL SELECT interval '199995 seconds', false FROM generate_series(1, 33333)
            UNION ALL SELECT interval '199996 seconds', true
            UNION ALL SELECT interval '199998 seconds', true FROM generate_series(1, 66666)) c) x;
-- The largest duration an interval holds falls in the last period, whose end is past it.
SELECT * FROM crm.life_table((SELECT crm.survival_agg(d, e) FROM (VALUES (interval '1 day', false), (interval '106751991 days 04:00:54.775807', true)) v(d, e)), '100000000 days', 2);
