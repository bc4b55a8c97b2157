-- Sales pipeline family and the plain ratios: user-visible output of crm.pipeline_agg,
-- accessors, crm.pipeline_velocity, crm.closed_value_velocity, crm.win_rate and the ratios.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;
SET intervalstyle = 'postgres';
CREATE TABLE regress_opportunities AS
SELECT id, 'owner ' || (id % 4) AS owner,
       CASE WHEN id % 97 = 0 THEN NULL ELSE round(((id * 7919) % 100000) / 7.0, 2) END AS amount,
       created_at,
       CASE WHEN id % 5 = 0 THEN NULL
            WHEN id % 11 = 0 THEN created_at
            ELSE created_at + ((id * 31) % 120) * interval '1 day' END AS closed_at,
       CASE WHEN id % 5 = 0 THEN NULL
            WHEN id % 4 = 3 THEN false
            ELSE (id * 104729) % 3 = 0 END AS won
FROM (SELECT g AS id, timestamptz '2025-01-01' + (g % 300) * interval '1 day' AS created_at
      FROM generate_series(1::bigint, 100000) g) o;
ANALYZE regress_opportunities;

-- The worked example: 20 opportunities, 35 % won at $10,000 on average, a 3-month cycle.
SELECT crm.opportunities(s), crm.won(s), crm.lost(s), crm.open(s), crm.win_rate(s),
       crm.average_deal_size(s), crm.sales_cycle(s),
       round(crm.pipeline_velocity(s, '1 month'), 2) AS velocity_per_month,
       round(crm.pipeline_velocity(s), 2) AS velocity_per_day,
       round(crm.closed_value_velocity(s, '1 month'), 2) AS closed_value_per_month
FROM (SELECT crm.pipeline_agg(CASE WHEN g <= 7 THEN 10000 ELSE 4000 END, timestamptz '2025-01-01',
                              timestamptz '2025-01-01' + interval '90 days', g <= 7) AS s
      FROM generate_series(1, 20) g) t;

-- By owner, with the independent FILTER query side by side ('owner 3' never wins).
SELECT owner, crm.opportunities(s), crm.won(s), crm.lost(s), crm.open(s),
       round(crm.win_rate(s)::numeric, 6) AS win_rate,
       round(crm.average_deal_size(s), 6) AS average_deal_size,
       crm.sales_cycle(s), round(crm.pipeline_velocity(s), 6) AS velocity
FROM (SELECT owner, crm.pipeline_agg(amount, created_at, closed_at, won) AS s
      FROM regress_opportunities GROUP BY owner) t ORDER BY owner;
SELECT owner, count(*) AS opportunities,
       count(*) FILTER (WHERE won) AS won, count(*) FILTER (WHERE NOT won) AS lost,
       count(*) FILTER (WHERE closed_at IS NULL) AS open,
       round(count(*) FILTER (WHERE won)::numeric / nullif(count(*) FILTER (WHERE closed_at IS NOT NULL), 0), 6) AS win_rate,
       round(avg(amount) FILTER (WHERE won), 6) AS average_deal_size,
       avg(closed_at - created_at) FILTER (WHERE won) AS sales_cycle,
       round(count(*) * (count(*) FILTER (WHERE won))::numeric / nullif(count(*) FILTER (WHERE closed_at IS NOT NULL), 0)
             * avg(amount) FILTER (WHERE won)
             / (extract(epoch FROM avg(closed_at - created_at) FILTER (WHERE won))::numeric / 86400), 6) AS velocity
FROM regress_opportunities WHERE amount IS NOT NULL GROUP BY owner ORDER BY owner;

-- NULL and empty input; accessors of a NULL summary.
SELECT crm.pipeline_agg(a, c, d, w), crm.pipeline_velocity(a, c, d, w), crm.win_rate(w)
FROM (VALUES (NULL::numeric, now(), NULL::timestamptz, NULL::boolean)) v(a, c, d, w);
SELECT crm.pipeline_agg(a, c, d, w), crm.pipeline_velocity(a, c, d, w), crm.win_rate(w)
FROM (SELECT 1::numeric, now(), now(), true WHERE false) v(a, c, d, w);
SELECT crm.win_rate(NULL::crm.pipeline_summary), crm.opportunities(NULL::crm.pipeline_summary);

-- Bad input: SQLSTATE and message.
SELECT error_of($$SELECT crm.pipeline_agg(-5, now(), NULL, NULL)$$);
SELECT error_of($$SELECT crm.pipeline_velocity('NaN', now(), NULL, NULL)$$);
SELECT error_of($$SELECT crm.pipeline_agg(1e30, now(), NULL, NULL)$$);
SELECT error_of($$SELECT crm.pipeline_agg(1, '2025-02-01', '2025-01-01', true)$$);
SELECT error_of($$SELECT crm.pipeline_agg(1, '2025-01-01', '2025-02-01', NULL)$$);
SELECT error_of($$SELECT crm.pipeline_agg(1, 'infinity', NULL, NULL)$$);
SELECT error_of($$SELECT crm.pipeline_velocity(crm.pipeline_agg(1, '2025-01-01', '2025-02-01', true), '0 seconds')$$);
-- Also when no deal has closed (the velocity would be NULL).
SELECT error_of($$SELECT crm.pipeline_velocity(crm.pipeline_agg(1, '2025-01-01', NULL, NULL), '0 seconds')$$);
SELECT error_of($$SELECT crm.open_pipeline_velocity(crm.pipeline_agg(1, '2025-01-01', NULL, NULL), '-1 day')$$);
-- A sliding frame forgets the scale of an amount written with more than 28 places (zeros past
-- them): the last frame holds the two 5s and shows 10, as GROUP BY over them does.
SELECT n, crm.won_value(crm.pipeline_agg(a, timestamptz '2025-01-01', timestamptz '2025-02-01', true)
                        OVER (ORDER BY n ROWS BETWEEN 1 PRECEDING AND CURRENT ROW))
FROM (VALUES (1, 0.100000000000000000000000000000), (2, 5), (3, 5)) v(n, a) ORDER BY n;
SELECT crm.won_value(crm.pipeline_agg(a, timestamptz '2025-01-01', timestamptz '2025-02-01', true))
FROM (VALUES (5), (5)) v(a);
SELECT error_of($$SELECT 'nonsense'::crm.pipeline_summary$$);

-- Text form round trip.
SELECT s::text, s::text::crm.pipeline_summary::text = s::text AS round_trips
FROM (SELECT crm.pipeline_agg(amount, created_at, closed_at, won) AS s FROM regress_opportunities) t;

-- Rollup of monthly summaries equals one pass; a rolling 3-month window of summaries.
CREATE TABLE monthly_pipeline AS
SELECT date_trunc('month', created_at)::date AS month, crm.pipeline_agg(amount, created_at, closed_at, won) AS summary
FROM regress_opportunities GROUP BY 1;
SELECT (SELECT crm.rollup(summary) FROM monthly_pipeline)::text
     = (SELECT crm.pipeline_agg(amount, created_at, closed_at, won) FROM regress_opportunities)::text AS rollup_equals_one_pass;
SELECT month, crm.opportunities(s), round(crm.win_rate(s)::numeric, 4) AS win_rate, round(crm.pipeline_velocity(s, '1 month'), 2) AS velocity_per_month
FROM (SELECT month, crm.rollup(summary) OVER (ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s
      FROM monthly_pipeline) t ORDER BY month LIMIT 4;

-- One-step aggregates as window functions (the inverse transition at work).
SELECT id, won, round(crm.pipeline_velocity(amount, created_at, closed_at, won) OVER w, 4) AS velocity,
       crm.win_rate(won) OVER w AS win_rate
FROM regress_opportunities WHERE id BETWEEN 1 AND 12
WINDOW w AS (ORDER BY id ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) ORDER BY id;

-- Forced parallel plan: Partial and Finalize Aggregate, same results as serial.
CREATE TABLE serial_result AS
SELECT crm.pipeline_agg(amount, created_at, closed_at, won)::text AS summary,
       crm.pipeline_velocity(amount, created_at, closed_at, won) AS velocity,
       crm.win_rate(won) AS win_rate,
       (SELECT crm.rollup(summary)::text FROM monthly_pipeline) AS rolled
FROM regress_opportunities;
SELECT force_parallel();
EXPLAIN (COSTS OFF)
SELECT crm.pipeline_agg(amount, created_at, closed_at, won), crm.pipeline_velocity(amount, created_at, closed_at, won),
       crm.win_rate(won) FROM regress_opportunities;
SELECT p.summary = s.summary AS summary_equal, p.velocity = s.velocity AS velocity_equal,
       p.win_rate = s.win_rate AS win_rate_equal, p.rolled = s.rolled AS rollup_equal
FROM serial_result s,
     (SELECT crm.pipeline_agg(amount, created_at, closed_at, won)::text AS summary,
             crm.pipeline_velocity(amount, created_at, closed_at, won) AS velocity,
             crm.win_rate(won) AS win_rate,
             (SELECT crm.rollup(summary)::text FROM monthly_pipeline) AS rolled
      FROM regress_opportunities) p;
SELECT serial();

-- The plain ratios: seed examples, zero denominators, bad values.
SELECT crm.renewal_rate(95, 100) AS renewal, crm.quota_attainment(85, 80) AS quota,
       crm.conversion_rate(33, 100) AS conversion, crm.cac(50000, 125) AS cac,
       crm.roi(150000, 100000) AS roi, crm.growth_rate(1150, 1000) AS growth,
       crm.ltv_to_cac(1200, 400) AS ltv_to_cac, crm.revenue_per_lead(25000.00, 500) AS revenue_per_lead,
       crm.cost_per_lead(5000, 250) AS cost_per_lead, crm.calls_per_sale(450, 15) AS calls_per_sale;
SELECT crm.win_rate(g <= 33) AS win_rate, crm.renewal_rate(g <= 95) AS renewal_rate FROM generate_series(1, 100) g;
-- crm.conversion_rate(boolean): undecided (NULL) rows are skipped; only NULL rows give NULL.
SELECT crm.conversion_rate(CASE WHEN g > 120 THEN NULL ELSE g % 4 = 0 END) AS conversion_rate,
       crm.conversion_rate(NULL::boolean) AS no_rows
FROM generate_series(1, 200) g;
SELECT g, round(crm.conversion_rate(g % 3 = 0) OVER (ORDER BY g ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)::numeric, 3) AS last_3
FROM generate_series(1, 5) g;
-- A ratio is the double nearest to the quotient: for integers, a::float8 / b (both exact, and
-- IEEE division rounds correctly). (a::numeric / b)::float8 is a unit of the last place off for
-- 317 of these pairs on Postgres 15: numeric division keeps 16 digits after the point. And 1e-28 / 3 is not
-- cut to 0 by the 28 decimal places.
SELECT count(*) FILTER (WHERE crm.quota_attainment(a, b) = a::float8 / b) AS nearest, count(*) AS pairs
FROM generate_series(1, 100) a, generate_series(1, 100) b;
SELECT crm.quota_attainment(1e-28, 3) = 1e-28::float8 / 3 AS tiny_as_floats;
SELECT crm.cac(100, 0), crm.roi(1, 0), crm.quota_attainment(1, 0), crm.growth_rate(1, 0),
       crm.conversion_rate(0, 0), crm.ltv_to_cac(1, 0), crm.revenue_per_lead(1, 0), crm.cost_per_lead(1, 0),
       crm.calls_per_sale(1, 0), crm.renewal_rate(0, 0);
SELECT error_of($$SELECT crm.cac(100, -1)$$);
SELECT error_of($$SELECT crm.cost_per_lead(-1, 10)$$);
SELECT error_of($$SELECT crm.conversion_rate(11, 10)$$);
SELECT error_of($$SELECT crm.renewal_rate(101, 100)$$);

DROP TABLE serial_result, monthly_pipeline, regress_opportunities;

-- A money total's scale does not depend on the order of the rows: an amount of 28 places in a
-- total that cannot keep them all keeps as many as the total holds, in every order.
SELECT crm.won_value(crm.pipeline_agg(a, '2025-01-01', '2025-02-01', true ORDER BY o)) AS ascending,
       crm.won_value(crm.pipeline_agg(a, '2025-01-01', '2025-02-01', true ORDER BY o DESC)) AS descending,
       crm.pipeline_agg(a, '2025-01-01', '2025-02-01', true ORDER BY o)
         OPERATOR(crm.=) crm.pipeline_agg(a, '2025-01-01', '2025-02-01', true ORDER BY o DESC) AS equal
FROM (VALUES (1, 1.0000000000000000000000000000), (2, 100000000000.0), (3, 1.0)) v(o, a);
