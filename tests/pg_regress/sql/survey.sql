-- Survey family: user-visible output of crm.nps, crm.nps_agg, crm.rollup, accessors, crm.csat.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE TABLE survey_answers AS
SELECT g AS id, ((g * 7919) % 11)::int AS score, ((g * 104729) % 5 + 1)::int AS csat,
       CASE WHEN g % 17 = 0 THEN NULL ELSE ((g * 31) % 11)::int END AS score_with_nulls,
       date '2025-01-01' + (g % 90)::int AS day
FROM generate_series(1::bigint, 200000) g;
ANALYZE survey_answers;

-- The worked example: n = 1000, P = 250, D = 75.
SELECT crm.nps(s), crm.responses(s), crm.promoters(s), crm.passives(s), crm.detractors(s),
       round(crm.nps_margin_of_error(s)::numeric, 4) AS margin,
       round((crm.nps_margin_of_error(s) / 1.959963984540054)::numeric, 4) AS standard_error
FROM (SELECT '{"promoters":250,"passives":675,"detractors":75}'::crm.nps_summary AS s) t;
SELECT round(low::numeric, 3) AS low, round(high::numeric, 3) AS high
FROM crm.nps_interval('{"promoters":250,"passives":675,"detractors":75}');
SELECT round(low::numeric, 3) AS low, round(high::numeric, 3) AS high
FROM crm.nps_interval('{"promoters":250,"passives":675,"detractors":75}', 0.99);
-- Clamped to [-100, 100]; NULL bounds without answers.
SELECT * FROM crm.nps_interval('{"promoters":5,"passives":0,"detractors":0}', 0.999);
SELECT * FROM crm.nps_interval('{"promoters":0,"passives":0,"detractors":0}');
-- crm.nps_low / crm.nps_high: the same bounds as scalars; NULL without answers or for NULL.
SELECT crm.nps_low(s) = i.low AS same_low, crm.nps_high(s) = i.high AS same_high,
       crm.nps_low(s, 0.99) = j.low AS same_low_99, crm.nps_high(s, 0.99) = j.high AS same_high_99,
       round(crm.nps_low(s)::numeric, 3) AS low, round(crm.nps_high(s)::numeric, 3) AS high
FROM (SELECT '{"promoters":250,"passives":675,"detractors":75}'::crm.nps_summary AS s) t,
     crm.nps_interval(s) i, crm.nps_interval(s, 0.99) j;
SELECT crm.nps_low('{"promoters":0,"passives":0,"detractors":0}') AS low_empty,
       crm.nps_high(NULL::crm.nps_summary) AS high_null,
       crm.nps_high('{"promoters":5,"passives":0,"detractors":0}', 0.999) AS clamped;
SELECT error_of($$SELECT crm.nps_low('{"promoters":1,"passives":0,"detractors":0}', 1)$$);

-- Every score once: P = 2, passives = 2, D = 7.
SELECT crm.nps(s), crm.nps_agg(s) FROM generate_series(0, 10) s;

-- NULLs are skipped; no usable rows gives NULL.
SELECT crm.nps(score_with_nulls) = (SELECT crm.nps(score_with_nulls) FROM survey_answers WHERE score_with_nulls IS NOT NULL)
FROM survey_answers;
SELECT crm.nps(s), crm.nps_agg(s), crm.csat(s), crm.csat(s, 3) FROM (VALUES (NULL::int)) v(s);
SELECT crm.nps(s), crm.nps_agg(s), crm.csat(s) FROM (SELECT 1 WHERE false) v(s);

-- Independent reference: the FILTER query.
SELECT round(crm.nps(score)::numeric, 10) AS nps,
       round(100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / count(*), 10) AS filter_query,
       round(crm.csat(csat)::numeric, 10) AS csat,
       round(avg((csat >= 4)::int), 10) AS csat_reference,
       round(crm.csat(score, 8)::numeric, 10) AS csat_8_of_10,
       round(avg((score >= 8)::int), 10) AS csat_8_reference
FROM survey_answers;

-- Bad input: SQLSTATE and message.
SELECT error_of('SELECT crm.nps(11)');
SELECT error_of('SELECT crm.nps(-1)');
SELECT error_of('SELECT crm.nps(2147483647)');
SELECT error_of('SELECT crm.nps_agg(12)');
SELECT error_of('SELECT crm.csat(0)');
SELECT error_of('SELECT crm.csat(6)');
SELECT error_of('SELECT crm.csat(-2, 3)');
SELECT error_of('SELECT crm.csat(2, -3)');
SELECT error_of('SELECT crm.nps_margin_of_error(crm.nps_agg(9), 1)');
SELECT error_of($$SELECT * FROM crm.nps_interval('{"promoters":1,"passives":0,"detractors":0}', 0)$$);
SELECT error_of($$SELECT 'nonsense'::crm.nps_summary$$);
SELECT error_of($$SELECT '{"promoters":1,"passives":2}'::crm.nps_summary$$);
SELECT error_of($$SELECT '{"promoters":-1,"passives":2,"detractors":0}'::crm.nps_summary$$);

-- Text form round trip.
SELECT s::text,
       s::text::crm.nps_summary::text = s::text AS round_trips
FROM (SELECT crm.nps_agg(score) AS s FROM survey_answers) t;

-- Rollup of daily summaries equals one pass.
CREATE TABLE daily_nps AS
SELECT day, crm.nps_agg(score) AS summary, count(*) AS answers FROM survey_answers GROUP BY day;
SELECT (SELECT crm.rollup(summary) FROM daily_nps)::text = (SELECT crm.nps_agg(score) FROM survey_answers)::text AS rollup_equals_one_pass;

-- Window functions: a 3-row frame, the inverse transition at work.
SELECT s, crm.nps(s) OVER w, crm.csat(least(greatest(s, 1), 5)) OVER w,
       crm.nps(crm.nps_agg(s) OVER w) AS via_summary
FROM generate_series(0, 10) s
WINDOW w AS (ORDER BY s ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
SELECT day, crm.nps(crm.rollup(summary) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)) AS nps_7_days
FROM daily_nps ORDER BY day LIMIT 3;

-- Forced parallel plan: Partial and Finalize Aggregate, same results as serial.
CREATE TABLE serial_result AS
SELECT crm.nps(score) AS nps, crm.nps_agg(score)::text AS summary, crm.csat(csat) AS csat,
       crm.csat(score, 9) AS csat9, (SELECT crm.rollup(summary)::text FROM daily_nps) AS rolled
FROM survey_answers;
SELECT force_parallel();
EXPLAIN (COSTS OFF)
SELECT crm.nps(score), crm.nps_agg(score), crm.csat(csat), crm.csat(score, 9) FROM survey_answers;
EXPLAIN (COSTS OFF) SELECT crm.rollup(summary) FROM daily_nps;
SELECT p.nps = s.nps AS nps_equal, p.summary = s.summary AS summary_equal, p.csat = s.csat AS csat_equal,
       p.csat9 = s.csat9 AS csat9_equal, p.rolled = s.rolled AS rollup_equal
FROM serial_result s,
     (SELECT crm.nps(score) AS nps, crm.nps_agg(score)::text AS summary, crm.csat(csat) AS csat,
             crm.csat(score, 9) AS csat9, (SELECT crm.rollup(summary)::text FROM daily_nps) AS rolled
      FROM survey_answers) p;
SELECT serial();

-- Grouped, as a report would.
SELECT day % 3 AS bucket, round(crm.nps(score)::numeric, 3) AS nps, crm.responses(crm.nps_agg(score))
FROM (SELECT score, extract(day FROM day)::int AS day FROM survey_answers) t
GROUP BY 1 ORDER BY 1;

DROP TABLE serial_result, daily_nps, survey_answers;

-- crm.nps_difference: is the change from Q3 to Q4 significant? (Q3: NPS 17.5, Q4: NPS 20.)
SELECT round(difference::numeric, 4) AS difference, round(margin::numeric, 4) AS margin,
       round(z::numeric, 4) AS z, round(p_value::numeric, 4) AS p_value
FROM crm.nps_difference('{"promoters":250,"passives":675,"detractors":75}', '{"promoters":300,"passives":600,"detractors":100}');
SELECT round(margin::numeric, 4) AS margin_99
FROM crm.nps_difference('{"promoters":250,"passives":675,"detractors":75}', '{"promoters":300,"passives":600,"detractors":100}', 0.99);
-- significant = |difference| > margin: not at 95 % (p 0.33), yes at 60 %.
SELECT round(margin::numeric, 4) AS margin, significant
FROM crm.nps_difference('{"promoters":250,"passives":675,"detractors":75}', '{"promoters":300,"passives":600,"detractors":100}');
SELECT round(margin::numeric, 4) AS margin, significant
FROM crm.nps_difference('{"promoters":250,"passives":675,"detractors":75}', '{"promoters":300,"passives":600,"detractors":100}', 0.6);
-- Either side without answers: one row of NULLs; every answer in one category: margin 0, no z or p.
SELECT * FROM crm.nps_difference(NULL, '{"promoters":3,"passives":1,"detractors":1}');
SELECT * FROM crm.nps_difference('{"promoters":0,"passives":0,"detractors":0}', '{"promoters":3,"passives":1,"detractors":1}');
SELECT * FROM crm.nps_difference('{"promoters":0,"passives":0,"detractors":4}', '{"promoters":9,"passives":0,"detractors":0}');
SELECT error_of($$SELECT * FROM crm.nps_difference('{"promoters":1,"passives":0,"detractors":0}', '{"promoters":1,"passives":0,"detractors":0}', 1.5)$$);

-- The combine function crm.nps, crm.nps_agg and crm.rollup share names the aggregate that runs
-- it: ten summaries of 1e18 promoters pass the bigint range together, whichever worker adds
-- them, serial or in a parallel plan.
CREATE TABLE nps_huge AS
SELECT CASE WHEN g % 20000 = 0 THEN '{"promoters":1000000000000000000,"passives":0,"detractors":0}'
            ELSE '{"promoters":1,"passives":0,"detractors":0}' END::crm.nps_summary AS s
FROM generate_series(1, 200000) g;
ANALYZE nps_huge;
SELECT public.error_of('SELECT crm.rollup(s) FROM nps_huge');
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0.01;
SET min_parallel_table_scan_size = 0;
SET cpu_operator_cost = 0;
SET seq_page_cost = 0;
EXPLAIN (COSTS OFF) SELECT crm.rollup(s) FROM nps_huge;
SELECT public.error_of('SELECT crm.rollup(s) FROM nps_huge');
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET cpu_operator_cost;
RESET seq_page_cost;
DROP TABLE nps_huge;
