#!/usr/bin/env python3
"""Benchmark driver: for each case, times our query, the plain SQL a user would write, and a bare
sum() over the same rows, interleaved round by round, and prints medians and ratios.

Times are server-side execution times from EXPLAIN (ANALYZE, TIMING OFF), serial plans
(max_parallel_workers_per_gather = 0), after one warm-up run of each query. In each round every
query runs, in a shuffled order, `--repeats` times back to back and keeps its best time, which filters out the
moments another tenant of the host steals the CPU; the table shows the median over rounds.
"""
import argparse
import random
import re
import statistics
import subprocess
import sys
import time

# Each family adds its cases here: `setup` creates its tables (psql variable :rows is the row
# count; the customers case uses rows/5 customers and the cohorts case rows*3/5 events over
# rows*3/50 customers, i.e. 1M customers and 3M events over 300k customers at the default
# 5M; the funnels case the same 3M events over 300k entities), `ours` is the crm_metrics query, `plain` the SQL people write today, `baseline` a bare
# sum() over the same rows. A case may add `floor`: (label, query), the cheapest built-in
# aggregates reading the same inputs the metric must read (the same columns, the same grouping),
# timed in the same rounds, so a ratio to sum() below what Postgres's own aggregates reach shows
# as such in one run.
CASES = [
    {
        "family": "survey",
        "name": "crm.nps(score)",
        "setup": """
            SELECT setseed(0.5);
            CREATE TABLE bench_survey AS
            SELECT (random() * 10)::int AS score, 1 + (random() * 4)::int AS csat
            FROM generate_series(1, :rows);
            VACUUM ANALYZE bench_survey;
        """,
        "ours": "SELECT crm.nps(score) FROM bench_survey",
        "plain": "SELECT 100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6))"
                 " / count(score) FROM bench_survey",
        "baseline": "SELECT sum(score) FROM bench_survey",
    },
    {
        "family": "survey",
        "name": "crm.nps_agg(score)",
        "ours": "SELECT crm.nps_agg(score) FROM bench_survey",
        "plain": "SELECT count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score BETWEEN 7 AND 8),"
                 " count(*) FILTER (WHERE score <= 6) FROM bench_survey",
        "baseline": "SELECT sum(score) FROM bench_survey",
    },
    {
        "family": "survey",
        "name": "crm.csat(csat)",
        "ours": "SELECT crm.csat(csat) FROM bench_survey",
        "plain": "SELECT count(*) FILTER (WHERE csat >= 4)::float8 / count(csat) FROM bench_survey",
        "baseline": "SELECT sum(csat) FROM bench_survey",
    },
    {
        "family": "customers",
        "name": "crm.churn_series, 24 months, 1M cust",
        "setup": """
            SELECT setseed(0.25);
            CREATE TABLE bench_customers AS
            SELECT id, started_at,
                   CASE WHEN random() < 0.6 THEN started_at + random() * interval '900 days' END AS ended_at
            FROM (SELECT id, timestamptz '2023-01-01' + random() * interval '1095 days' AS started_at
                  FROM generate_series(1, :rows / 5) id) c;
            VACUUM ANALYZE bench_customers;
        """,
        "ours": "SELECT * FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM bench_customers),"
                " '2024-01-01', '2026-01-01', '1 month')",
        "plain": """SELECT p.period_start, p.period_end,
                  count(*) FILTER (WHERE started_at < period_start AND (ended_at IS NULL OR ended_at >= period_start)) AS at_start,
                  count(*) FILTER (WHERE started_at < period_end AND (ended_at IS NULL OR ended_at >= period_end)) AS at_end,
                  count(*) FILTER (WHERE started_at >= period_start AND started_at < period_end
                                   AND (ended_at IS NULL OR ended_at >= period_end)) AS new_customers,
                  count(*) FILTER (WHERE started_at < period_start AND ended_at >= period_start
                                   AND ended_at < period_end) AS churned
                FROM (SELECT p AS period_start, p + interval '1 month' AS period_end
                      FROM generate_series(timestamptz '2024-01-01', '2025-12-01', interval '1 month') p) p
                CROSS JOIN bench_customers WHERE ended_at IS DISTINCT FROM started_at GROUP BY 1, 2""",
        "baseline": "SELECT sum(id) FROM bench_customers",
    },
    {
        "family": "cohorts",
        "name": "crm.cohort_retention, 3M ev/300k cust",
        "setup": """
            SELECT setseed(0.75);
            CREATE TABLE bench_events AS
            SELECT (random() * (:rows * 3 / 50))::bigint AS customer_id,
                   timestamptz '2023-01-01' + random() * interval '730 days' AS occurred_at
            FROM generate_series(1, :rows * 3 / 5);
            VACUUM ANALYZE bench_events;
        """,
        "ours": "SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, occurred_at, 'month')"
                " FROM bench_events))",
        "plain": """WITH activity AS (
                      SELECT DISTINCT customer_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS month
                      FROM bench_events),
                    firsts AS (SELECT customer_id, min(month) AS cohort FROM activity GROUP BY 1),
                    sizes AS (SELECT cohort, count(*) AS cohort_size FROM firsts GROUP BY 1)
                    SELECT f.cohort,
                           ((extract(year FROM a.month) - extract(year FROM f.cohort)) * 12
                            + extract(month FROM a.month) - extract(month FROM f.cohort))::int AS period_number,
                           s.cohort_size, count(*) AS active_customers, count(*)::float8 / s.cohort_size AS retention_rate
                    FROM activity a JOIN firsts f USING (customer_id) JOIN sizes s USING (cohort)
                    GROUP BY 1, 2, 3 ORDER BY 1, 2""",
        "baseline": "SELECT sum(customer_id) FROM bench_events",
    },
    # --- clv (customer lifetime value): RFM summaries per customer; the model fits are compared
    # with the lifetimes Python package in benches/clv.py (bash benches/run-clv). ---
    {
        "family": "clv",
        "name": "crm.rfm_agg, 1M orders/200k cust",
        "setup": """
            SELECT setseed(0.125);
            CREATE TABLE bench_shop_orders AS
            SELECT (random() * (:rows / 25))::bigint AS customer_id,
                   timestamptz '2024-01-01' + random() * interval '730 days' AS ordered_at,
                   round((random() * 100)::numeric, 2) AS amount
            FROM generate_series(1, :rows / 5);
            VACUUM ANALYZE bench_shop_orders;
        """,
        "ours": "SELECT sum((r).frequency), sum((r).recency), sum((r).t), sum((r).monetary_value) FROM ("
                " SELECT crm.rfm_agg(ordered_at, amount, '2026-01-01', 'week') AS r FROM bench_shop_orders"
                " GROUP BY customer_id) s",
        "plain": """SELECT sum(frequency), sum(recency), sum(t), sum(monetary_value) FROM (
                      SELECT customer_id, count(*) - 1 AS frequency, (max(day) - min(day)) / 7.0 AS recency,
                             (date '2026-01-01' - min(day)) / 7.0 AS t,
                             coalesce(avg(total) FILTER (WHERE day > first_day), 0) AS monetary_value
                      FROM (SELECT customer_id, day, total, min(day) OVER (PARTITION BY customer_id) AS first_day
                            FROM (SELECT customer_id, (ordered_at AT TIME ZONE 'UTC')::date AS day, sum(amount) AS total
                                  FROM bench_shop_orders GROUP BY 1, 2) d) w
                      GROUP BY customer_id) s""",
        "baseline": "SELECT sum(customer_id) FROM bench_shop_orders",
        "floor": ("count, min, max, sum(amount) by customer",
                  "SELECT sum(c), min(f), max(l), sum(m) FROM ("
                  " SELECT count(*) AS c, min(ordered_at) AS f, max(ordered_at) AS l, sum(amount) AS m"
                  " FROM bench_shop_orders GROUP BY customer_id) s"),
    },
    # --- pipeline and revenue: 3M opportunities and 1M customer-months over 100k
    # customers at the default 5M rows.
    # --- plain ratios: the one-step share aggregate and a scalar ratio over every row ---------
    {
        "family": "ratios",
        "name": "crm.win_rate(boolean)",
        "setup": """
            SELECT setseed(0.7);
            CREATE TABLE bench_ratios AS
            SELECT CASE WHEN random() < 0.8 THEN random() < 0.3 END AS won,
                   (random() * 1000)::bigint AS converted, 1000 + (random() * 1000)::bigint AS total
            FROM generate_series(1, :rows);
            VACUUM ANALYZE bench_ratios;
        """,
        "ours": "SELECT crm.win_rate(won) FROM bench_ratios",
        "plain": "SELECT (count(*) FILTER (WHERE won))::float8 / nullif(count(won), 0) FROM bench_ratios",
        "baseline": "SELECT sum(converted) FROM bench_ratios",
    },
    {
        "family": "ratios",
        "name": "sum(crm.conversion_rate(...))",
        "ours": "SELECT sum(crm.conversion_rate(converted, total)) FROM bench_ratios",
        "plain": "SELECT sum(converted::float8 / nullif(total, 0)) FROM bench_ratios",
        "baseline": "SELECT sum(converted) FROM bench_ratios",
    },
    {
        "family": "pipeline",
        "name": "crm.pipeline_velocity, 3M opps",
        "setup": """
            SELECT setseed(0.6);
            CREATE TABLE bench_opportunities AS
            SELECT round((1000 * exp(random() * 3.5))::numeric, 2) AS amount, created_at,
                   CASE WHEN r < 0.8 THEN created_at + random() * interval '120 days' END AS closed_at,
                   CASE WHEN r < 0.8 THEN random() < 0.3 END AS won
            FROM (SELECT timestamptz '2023-01-01' + random() * interval '1095 days' AS created_at, random() AS r
                  FROM generate_series(1, :rows * 3 / 5)) o;
            VACUUM ANALYZE bench_opportunities;
        """,
        "ours": "SELECT crm.pipeline_velocity(amount, created_at, closed_at, won) FROM bench_opportunities",
        "plain": """SELECT count(*) * (count(*) FILTER (WHERE won))::numeric
                      / count(*) FILTER (WHERE closed_at IS NOT NULL)
                      * avg(amount) FILTER (WHERE won)
                      / (extract(epoch FROM avg(closed_at - created_at) FILTER (WHERE won)) / 86400)
                    FROM bench_opportunities""",
        "baseline": "SELECT sum(amount) FROM bench_opportunities",
    },
    {
        "family": "pipeline",
        "name": "crm.pipeline_agg by month, 3M opps",
        "ours": """SELECT date_trunc('month', created_at), crm.pipeline_agg(amount, created_at, closed_at, won)
                   FROM bench_opportunities GROUP BY 1""",
        "plain": """SELECT date_trunc('month', created_at), count(*), count(*) FILTER (WHERE won),
                          count(*) FILTER (WHERE NOT won), count(*) FILTER (WHERE closed_at IS NULL),
                          sum(amount) FILTER (WHERE won), sum(amount) FILTER (WHERE closed_at IS NULL),
                          avg(closed_at - created_at) FILTER (WHERE won)
                    FROM bench_opportunities GROUP BY 1""",
        "baseline": "SELECT date_trunc('month', created_at), sum(amount) FROM bench_opportunities GROUP BY 1",
    },
    {
        "family": "revenue",
        "name": "crm.mrr_movements, 1M rows/100k cust",
        "setup": """
            SELECT setseed(0.35);
            CREATE TABLE bench_mrr AS
            SELECT c::bigint AS customer_id, (date '2023-01-01' + make_interval(months => c % 24 + m))::date AS month,
                   CASE WHEN random() < 0.04 THEN 0
                        ELSE round((50 + (c % 7) * 100 + m * (c % 3 - 1) * 5 + random() * 3)::numeric, 2) END AS mrr
            FROM generate_series(1, :rows / 50) c, generate_series(0, 10) m
            WHERE random() < 0.91;
            VACUUM ANALYZE bench_mrr;
        """,
        "ours": "SELECT * FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM bench_mrr))",
        "plain": """WITH agg AS (SELECT customer_id, month, sum(mrr) AS mrr FROM bench_mrr GROUP BY 1, 2),
                         bounds AS (SELECT min(month) AS first_month, max(month) AS last_month FROM bench_mrr),
                         firsts AS (SELECT customer_id, min(month) AS first_seen FROM agg GROUP BY 1),
                         grid AS (SELECT f.customer_id, m::date AS month, coalesce(a.mrr, 0) AS mrr
                                  FROM firsts f CROSS JOIN bounds b
                                  CROSS JOIN LATERAL generate_series(f.first_seen, b.last_month, interval '1 month') m
                                  LEFT JOIN agg a ON a.customer_id = f.customer_id AND a.month = m::date),
                         lagged AS (SELECT month, mrr, coalesce(lag(mrr) OVER w, 0) AS previous,
                                           coalesce(max(mrr) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) > 0
                                             AS paid_before
                                    FROM grid WINDOW w AS (PARTITION BY customer_id ORDER BY month))
                    SELECT month, sum(previous) AS starting_mrr,
                           sum(mrr) FILTER (WHERE previous = 0 AND mrr > 0 AND NOT paid_before) AS new_mrr,
                           sum(mrr - previous) FILTER (WHERE previous > 0 AND mrr > previous) AS expansion_mrr,
                           sum(previous - mrr) FILTER (WHERE mrr > 0 AND previous > mrr) AS contraction_mrr,
                           sum(previous) FILTER (WHERE previous > 0 AND mrr = 0) AS churned_mrr,
                           sum(mrr) FILTER (WHERE previous = 0 AND mrr > 0 AND paid_before) AS reactivation_mrr,
                           sum(mrr) AS ending_mrr,
                           count(*) FILTER (WHERE previous > 0) AS customers_at_start,
                           count(*) FILTER (WHERE previous = 0 AND mrr > 0 AND NOT paid_before) AS new_customers,
                           count(*) FILTER (WHERE previous > 0 AND mrr = 0) AS churned_customers,
                           count(*) FILTER (WHERE previous = 0 AND mrr > 0 AND paid_before) AS reactivated_customers,
                           count(*) FILTER (WHERE mrr > 0) AS customers_at_end
                    FROM lagged GROUP BY month ORDER BY month""",
        "baseline": "SELECT sum(mrr) FROM bench_mrr",
    },
    # --- funnels -------------------------------------------------------------------------
    {
        "family": "funnels",
        "name": "crm.funnel_steps, 3M events/300k ent",
        # rows*3/5 events (3M at the default 5M) over rows*3/50 entities (300k): a step-1 event
        # per entity, then 9 events of steps 0, 2, 3, 4 at random over the next 60 days. The plain
        # SQL is the join chain an analyst writes for the 'ordered' funnel from the (only) step-1
        # event: the earliest step k within 30 days of it and after step k - 1, then counts and
        # percentile_disc(0.5) per step; both give the same rows.
        "setup": """
            SELECT setseed(0.75);
            CREATE TABLE bench_funnel AS
            SELECT e AS entity_id, timestamptz '2025-01-01' + random() * interval '300 days' AS occurred_at, 1 AS step
            FROM generate_series(1, :rows * 3 / 50) e;
            INSERT INTO bench_funnel
            SELECT f.entity_id, f.occurred_at + random() * interval '60 days', (ARRAY[0, 2, 3, 4])[1 + floor(random() * 4)::int]
            FROM bench_funnel f, generate_series(1, 9);
            VACUUM ANALYZE bench_funnel;
        """,
        "ours": "SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(entity_id, occurred_at, step, '30 days') FROM bench_funnel))",
        "plain": """WITH t1 AS (SELECT entity_id, min(occurred_at) AS t1 FROM bench_funnel WHERE step = 1 GROUP BY 1),
                         t2 AS (SELECT t1.entity_id, t1.t1, min(f.occurred_at) AS t2 FROM t1 LEFT JOIN bench_funnel f
                                  ON f.entity_id = t1.entity_id AND f.step = 2
                                 AND f.occurred_at BETWEEN t1.t1 AND t1.t1 + interval '30 days' GROUP BY 1, 2),
                         t3 AS (SELECT t2.entity_id, t2.t1, t2.t2, min(f.occurred_at) AS t3 FROM t2 LEFT JOIN bench_funnel f
                                  ON f.entity_id = t2.entity_id AND f.step = 3
                                 AND f.occurred_at BETWEEN t2.t2 AND t2.t1 + interval '30 days' GROUP BY 1, 2, 3),
                         t4 AS (SELECT t3.*, min(f.occurred_at) AS t4 FROM t3 LEFT JOIN bench_funnel f
                                  ON f.entity_id = t3.entity_id AND f.step = 4
                                 AND f.occurred_at BETWEEN t3.t3 AND t3.t1 + interval '30 days' GROUP BY 1, 2, 3, 4)
                    SELECT k AS step, count(*) AS entities,
                           percentile_disc(0.5) WITHIN GROUP (ORDER BY (ARRAY[t1, t2, t3, t4])[k] - t1) AS median_time_from_first
                    FROM t4, generate_series(1, 4) k WHERE (ARRAY[t1, t2, t3, t4])[k] IS NOT NULL
                    GROUP BY k ORDER BY k""",
        "baseline": "SELECT sum(step) FROM bench_funnel",
        "floor": ("count(*) by entity",
                  "SELECT sum(c) FROM (SELECT count(*) AS c FROM bench_funnel GROUP BY entity_id) s"),
    },
    {
        "family": "funnels",
        "name": "crm.funnel_steps vs window functions",
        # The same funnel as window functions over one sort by entity: step k's earliest time
        # after step k - 1 within 30 days of step 1, a window aggregate per step; same rows.
        "ours": "SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(entity_id, occurred_at, step, '30 days') FROM bench_funnel))",
        "plain": """WITH f AS (SELECT entity_id, occurred_at, step, min(occurred_at) FILTER (WHERE step = 1) OVER w AS t1
                               FROM bench_funnel WHERE step BETWEEN 1 AND 4 WINDOW w AS (PARTITION BY entity_id)),
                         s2 AS (SELECT *, min(occurred_at) FILTER (WHERE step = 2 AND occurred_at BETWEEN t1 AND t1 + interval '30 days')
                                          OVER (PARTITION BY entity_id) AS t2 FROM f WHERE t1 IS NOT NULL),
                         s3 AS (SELECT *, min(occurred_at) FILTER (WHERE step = 3 AND occurred_at BETWEEN t2 AND t1 + interval '30 days')
                                          OVER (PARTITION BY entity_id) AS t3 FROM s2),
                         e AS (SELECT entity_id, t1, t2, t3,
                                      min(occurred_at) FILTER (WHERE step = 4 AND occurred_at BETWEEN t3 AND t1 + interval '30 days') AS t4
                               FROM s3 GROUP BY 1, 2, 3, 4)
                    SELECT k AS step, count(*) AS entities,
                           percentile_disc(0.5) WITHIN GROUP (ORDER BY (ARRAY[t1, t2, t3, t4])[k] - t1) AS median_time_from_first
                    FROM e, generate_series(1, 4) k WHERE (ARRAY[t1, t2, t3, t4])[k] IS NOT NULL
                    GROUP BY k ORDER BY k""",
        "baseline": "SELECT sum(step) FROM bench_funnel",
    },
    # --- service: business hours -----------------------------------------------------
    {
        "family": "service",
        "name": "sum(crm.business_time), 1M tickets",
        # rows/5 tickets (1M at the default 5M) spanning a minute to three months (log-uniform)
        # over 2024-2025 in New York (both DST changes of each year, US holidays); the plain
        # query is the calendar-table SQL: one row per local business day with its open and
        # close instants, joined to each ticket's days and clipped.
        "setup": """
            SELECT setseed(0.125);
            CREATE TABLE bench_teams AS
            SELECT 1 AS team_id, crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York',
                '{2024-01-01,2024-05-27,2024-07-04,2024-09-02,2024-11-28,2024-12-25,
                  2025-01-01,2025-05-26,2025-07-04,2025-09-01,2025-11-27,2025-12-25}') AS calendar;
            CREATE TABLE bench_tickets AS
            SELECT id, created_at, created_at + exp(random() * ln(131400)) * interval '1 minute' AS resolved_at
            FROM (SELECT id, timestamptz '2024-01-01' + random() * interval '640 days' AS created_at
                  FROM generate_series(1, :rows / 5) id) t;
            CREATE TABLE bench_business_days AS
            SELECT d::date AS day,
                   (d::date + time '09:00') AT TIME ZONE 'America/New_York' AS open_at,
                   (d::date + time '17:00') AT TIME ZONE 'America/New_York' AS close_at
            FROM generate_series(date '2023-12-01', date '2026-03-01', interval '1 day') d
            WHERE extract(isodow FROM d) <= 5
              AND d::date <> ALL ('{2024-01-01,2024-05-27,2024-07-04,2024-09-02,2024-11-28,2024-12-25,
                                    2025-01-01,2025-05-26,2025-07-04,2025-09-01,2025-11-27,2025-12-25}'::date[]);
            CREATE INDEX ON bench_business_days (open_at, close_at);
            VACUUM ANALYZE bench_teams, bench_tickets, bench_business_days;
        """,
        "ours": "SELECT sum(crm.business_time((SELECT calendar FROM bench_teams), created_at, resolved_at))"
                " FROM bench_tickets",
        "plain": """SELECT sum(least(t.resolved_at, d.close_at) - greatest(t.created_at, d.open_at))
                    FROM bench_tickets t JOIN bench_business_days d
                      ON d.open_at < t.resolved_at AND d.close_at > t.created_at""",
        "baseline": "SELECT sum(resolved_at - created_at) FROM bench_tickets",
    },
    # --- analyst: churn_series with a time zone and a denominator ---
    {
        "family": "customers",
        "name": "churn_series, Berlin, 'average'",
        "ours": "SELECT * FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM bench_customers),"
                " '2024-01-01 00:00 Europe/Berlin', '2026-01-01 00:00 Europe/Berlin', '1 month', 'average',"
                " 'Europe/Berlin')",
        "plain": """SELECT period_start, period_end,
                  count(*) FILTER (WHERE started_at < period_start AND ended_at >= period_start AND ended_at < period_end)::float8
                  / nullif((count(*) FILTER (WHERE started_at < period_start AND (ended_at IS NULL OR ended_at >= period_start))
                            + count(*) FILTER (WHERE started_at < period_end AND (ended_at IS NULL OR ended_at >= period_end))) / 2.0, 0)
                FROM (SELECT m AT TIME ZONE 'Europe/Berlin' AS period_start,
                             (m + interval '1 month') AT TIME ZONE 'Europe/Berlin' AS period_end
                      FROM generate_series(timestamp '2024-01-01', '2025-12-01', interval '1 month') m) p
                CROSS JOIN bench_customers WHERE ended_at IS DISTINCT FROM started_at GROUP BY 1, 2""",
        "baseline": "SELECT sum(id) FROM bench_customers",
    },
    # --- rollup cases (item 1): `ours` rolls up 4,000 stored daily summaries, `plain`
    # is one pass of the same aggregate over the same rows (the "vs plain" ratio must stay
    # under 2); run alone with `bash benches/run rollup`.
    {
        "family": "rollup",
        "name": "rollup(customer_summary), 4000 d",
        "setup": """
            SELECT setseed(0.125);
            CREATE TABLE bench_rollup_customers AS
            SELECT id % 4000 AS day, started_at,
                   CASE WHEN random() < 0.6 THEN started_at + random() * interval '900 days' END AS ended_at
            FROM (SELECT id, timestamptz '2015-01-01' + (id % 4000) * interval '1 day'
                             + random() * interval '1 day' AS started_at
                  FROM generate_series(1, :rows * 2 / 5) id) c;
            CREATE TABLE bench_customer_days AS
            SELECT day, crm.customer_agg(started_at, ended_at) AS s FROM bench_rollup_customers GROUP BY day;
            VACUUM ANALYZE bench_rollup_customers, bench_customer_days;
        """,
        "ours": "SELECT crm.rollup(s) FROM bench_customer_days",
        "plain": "SELECT crm.customer_agg(started_at, ended_at) FROM bench_rollup_customers",
        "baseline": "SELECT sum(day) FROM bench_rollup_customers",
    },
    {
        "family": "rollup",
        "name": "rollup(cohort_summary), 4000 d",
        "setup": """
            CREATE TABLE bench_cohort_rows AS
            SELECT c AS customer_id, d,
                   timestamptz '2015-01-01' + d * interval '1 day' + (c % 86400) * interval '1 second' AS occurred_at
            FROM generate_series(1, :rows / 2500) c, generate_series(0, 3999) d;
            CREATE TABLE bench_cohort_days AS
            SELECT d, crm.cohort_agg(customer_id, occurred_at, 'day') AS s FROM bench_cohort_rows GROUP BY d;
            VACUUM ANALYZE bench_cohort_rows, bench_cohort_days;
        """,
        "ours": "SELECT crm.rollup(s) FROM bench_cohort_days",
        "plain": "SELECT crm.cohort_agg(customer_id, occurred_at, 'day') FROM bench_cohort_rows",
        "baseline": "SELECT sum(d) FROM bench_cohort_rows",
    },
    # --- the metrics without a case above, for the one benchmark table (`bash benches/run
    # table`). 1M rows of each kind at the default 5M; a case without `plain` has no SQL
    # equivalent (the model fits) and shows only its own time. ---
    {
        "family": "ratios",
        "name": "crm.renewal_rate(boolean)",
        "ours": "SELECT crm.renewal_rate(won) FROM bench_ratios",
        "plain": "SELECT (count(*) FILTER (WHERE won))::float8 / nullif(count(won), 0) FROM bench_ratios",
        "baseline": "SELECT sum(converted) FROM bench_ratios",
    },
    {
        "family": "customers",
        "name": "crm.churn_rate, 1M cust",
        "ours": "SELECT crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-02-01') FROM bench_customers",
        "plain": """SELECT (count(*) FILTER (WHERE started_at < '2025-01-01' AND ended_at >= '2025-01-01'
                                         AND ended_at < '2025-02-01'))::float8
                    / nullif(count(*) FILTER (WHERE started_at < '2025-01-01'
                                               AND (ended_at IS NULL OR ended_at >= '2025-01-01')), 0)
                    FROM bench_customers WHERE ended_at IS DISTINCT FROM started_at""",
        "baseline": "SELECT sum(id) FROM bench_customers",
        "floor": ("count(started_at), count(ended_at)",
                  "SELECT count(started_at), count(ended_at) FROM bench_customers"),
    },
    {
        "family": "customers",
        "name": "crm.retention_rate, 1M cust",
        "ours": "SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-02-01') FROM bench_customers",
        "plain": """SELECT (count(*) FILTER (WHERE started_at < '2025-01-01' AND (ended_at IS NULL OR ended_at >= '2025-02-01')))::float8
                    / nullif(count(*) FILTER (WHERE started_at < '2025-01-01'
                                               AND (ended_at IS NULL OR ended_at >= '2025-01-01')), 0)
                    FROM bench_customers WHERE ended_at IS DISTINCT FROM started_at""",
        "baseline": "SELECT sum(id) FROM bench_customers",
        "floor": ("count(started_at), count(ended_at)",
                  "SELECT count(started_at), count(ended_at) FROM bench_customers"),
    },
    {
        "family": "customers",
        "name": "crm.customer_agg, 1M cust",
        "ours": "SELECT crm.customers(crm.customer_agg(started_at, ended_at)) FROM bench_customers",
        "plain": "SELECT count(*) FROM bench_customers WHERE ended_at IS DISTINCT FROM started_at",
        "baseline": "SELECT sum(id) FROM bench_customers",
    },
    {
        "family": "cohorts",
        "name": "crm.cohort_agg, 3M ev/300k cust",
        "ours": "SELECT crm.customers(crm.cohort_agg(customer_id, occurred_at, 'month')) FROM bench_events",
        "plain": "SELECT count(DISTINCT customer_id) FROM bench_events",
        "baseline": "SELECT sum(customer_id) FROM bench_events",
    },
    {
        "family": "service",
        "name": "crm.service_agg + p90, 1M tickets",
        "setup": """
            SELECT setseed(0.375);
            CREATE TABLE bench_service AS
            SELECT created_at,
                   CASE WHEN random() < 0.9 THEN created_at + random() * interval '2 days' END AS first_response_at,
                   CASE WHEN random() < 0.8 THEN created_at + random() * interval '10 days' END AS resolved_at,
                   (random() * 4)::int AS agent_replies, random() < 0.05 AS reopened
            FROM (SELECT timestamptz '2024-01-01' + random() * interval '640 days' AS created_at
                  FROM generate_series(1, :rows / 5)) t;
            VACUUM ANALYZE bench_service;
        """,
        "ours": """SELECT crm.resolution_time(s, 0.9), crm.first_response_time(s, 0.9) FROM (
                     SELECT crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened) AS s
                     FROM bench_service) q""",
        "plain": """SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY resolved_at - created_at),
                           (SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY first_response_at - created_at)
                            FROM bench_service)
                    FROM bench_service""",
        "baseline": "SELECT sum(agent_replies) FROM bench_service",
    },
    {
        "family": "service",
        "name": "crm.sla_attainment, 1M tickets",
        "ours": "SELECT crm.sla_attainment(created_at, first_response_at, '4 hours') FROM bench_service",
        "plain": """SELECT (count(*) FILTER (WHERE first_response_at - created_at <= interval '4 hours'))::float8
                    / nullif(count(first_response_at), 0) FROM bench_service""",
        "baseline": "SELECT sum(agent_replies) FROM bench_service",
    },
    {
        "family": "service",
        "name": "crm.fcr_rate, 1M tickets",
        "ours": "SELECT crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL) FROM bench_service",
        "plain": """SELECT (count(*) FILTER (WHERE resolved_at IS NOT NULL AND NOT reopened AND agent_replies <= 1))::float8
                    / nullif(count(*) FILTER (WHERE resolved_at IS NOT NULL), 0) FROM bench_service""",
        "baseline": "SELECT sum(agent_replies) FROM bench_service",
    },
    # --- survival: Kaplan-Meier over 1M customers (at the default 5M rows) ---------------
    {
        "family": "survival",
        "name": "crm.survival_curve, 1M cust",
        "setup": """
            SELECT setseed(0.625);
            CREATE TABLE bench_survival AS
            SELECT date_trunc('second', -ln(1 - random()) * interval '400 days') + interval '1 second' AS duration,
                   random() < 0.6 AS event
            FROM generate_series(1, :rows / 5);
            VACUUM ANALYZE bench_survival;
        """,
        "ours": """SELECT count(*), min(survival), min(low)
                   FROM crm.survival_curve((SELECT crm.survival_agg(duration, event) FROM bench_survival))""",
        # Kaplan-Meier as window functions over the counts per duration (no interval).
        "plain": """SELECT count(*), min(survival) FROM (
                      SELECT exp(sum(ln(greatest(1 - events::float8 / at_risk, 1e-300))) OVER (ORDER BY duration)) AS survival
                      FROM (SELECT duration, events, sum(rows) OVER (ORDER BY duration DESC) AS at_risk
                            FROM (SELECT duration, count(*) FILTER (WHERE event) AS events, count(*) AS rows
                                  FROM bench_survival GROUP BY duration) g) a) k""",
        "baseline": "SELECT sum(extract(epoch FROM duration)) FROM bench_survival",
    },
    # (crm.bgnbd_fit and crm.gamma_gamma_fit are measured on real and simulated purchase data
    # against the lifetimes package by benches/clv.py: the uniform random orders above identify
    # no BG/NBD model, and the fit rightly refuses to converge on them.)
    {
        "family": "customers",  # over the customers case's table
        "name": "crm.sbg_fit (penalized), 1M cust",
        # Uniform random lifetimes identify no sBG model (alpha runs off to infinity, which the
        # fit reports as an error), so the case fits with a small penalizer, as an analyst would.
        "ours": "SELECT crm.sbg_fit(least(extract(day FROM coalesce(ended_at, '2026-01-01') - started_at)::int / 30, 40),"
                " ended_at IS NOT NULL, 0.01::float8) FROM bench_customers",
        "baseline": "SELECT sum(id) FROM bench_customers",
    },
]


def psql(args, sql, variables=()):
    command = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", args.host, "-p",
               str(args.port), "-U", "postgres", "-d", args.database]
    for name, value in variables:
        command += ["-v", f"{name}={value}"]
    result = subprocess.run(command, input=sql, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"query failed: {sql}\n{result.stderr}")
    return result.stdout


def execution_ms(args, query):
    plan = psql(args, "SET max_parallel_workers_per_gather = 0;\n"
                      f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) {query}")
    return float(re.search(r"Execution Time: ([0-9.]+) ms", plan).group(1))


# --- one benchmark table (`bash benches/run table [family ...]`) --------------------
# Besides the serial times above: the speed-up of our query with 2 parallel workers (the same
# query with max_parallel_workers_per_gather = 2 and a parallel plan forced by zero parallel
# costs, against 0; "serial plan" when Postgres still plans no Gather), and the backend's peak
# resident memory (VmHWM from /proc/self/status, read with pg_read_file) after our query minus
# the same after a bare sum() over the same rows run first in the same fresh backend (with the
# library loaded and our query planned before): the private memory our query needs on top of the
# scan (the shared buffers both touch cancel out), within about 1 MB.
PARALLEL = ("SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;"
            " SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;"
            " SET min_parallel_index_scan_size = 0;\n")
SERIAL = "SET max_parallel_workers_per_gather = 0;\n"
# Two workers allowed, every planner cost at its default: the plan Postgres chooses by itself
# (serial where merging the partial states would cost what dividing the scan saves).
DEFAULT_COSTS = "SET max_parallel_workers_per_gather = 2;\n"
HWM = "SELECT 'VmHWM ' || substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\\s*([0-9]+)');\n"


def plan_ms(args, settings, query):
    """Execution time of `query` under `settings`, and the parallel workers its plan launched."""
    plan = psql(args, f"{settings}EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) {query}")
    workers = sum(int(n) for n in re.findall(r"Workers Launched: ([0-9]+)", plan))
    return float(re.search(r"Execution Time: ([0-9.]+) ms", plan).group(1)), workers


def peak_memory_kb(args, case):
    """VmHWM after our query minus VmHWM after the bare sum() over the same rows, one backend."""
    # The library and the catalog entries our query needs are loaded first (LOAD, and planning
    # the query without running it), so that neither counts as the state's memory.
    out = psql(args, f"{SERIAL}LOAD 'crm_metrics';\nEXPLAIN {case['ours']};\n"
                     f"EXPLAIN (ANALYZE, TIMING OFF) {case['baseline']};\n{HWM}"
                     f"EXPLAIN (ANALYZE, TIMING OFF) {case['ours']};\n{HWM}")
    before, after = (int(value) for value in re.findall(r"^VmHWM ([0-9]+)$", out, re.M))
    return max(after - before, 0)


def scanned_rows(args, case):
    table = re.search(r"FROM (bench_[a-z_]+)", case["baseline"]).group(1)
    return int(psql(args, f"SELECT count(*) FROM {table}").strip())


def fmt_ms(value):
    return "—" if value is None else f"{value:,.1f}"


def table(args, cases):
    """Prints one Markdown table of every case: serial times, ratios, parallel speed-up, memory."""
    header = ("| metric | rows | crm ms | plain SQL ms | crm ÷ plain | plain ÷ crm | sum() ms | crm ÷ sum() "
              "| 2-worker speed-up | default-cost plan | peak memory over sum() |")
    lines = [header, "|" + "---|" * 11]
    for case in cases:
        queries = [(SERIAL, case["ours"]), (SERIAL, case.get("plain")), (SERIAL, case["baseline"]),
                   (PARALLEL, case["ours"]), (DEFAULT_COSTS, case["ours"])]
        active = [index for index, (_, query) in enumerate(queries) if query]
        for index in active:
            plan_ms(args, *queries[index])  # warm-up
        samples = {index: [] for index in active}
        workers = default_workers = 0
        order = random.Random(42)
        for _ in range(args.rounds):
            for index in order.sample(active, len(active)):
                best = None
                for _ in range(args.repeats):
                    ms, launched = plan_ms(args, *queries[index])
                    best = ms if best is None else min(best, ms)
                    if index == 3:
                        workers = max(workers, launched)
                    if index == 4:
                        default_workers = max(default_workers, launched)
                samples[index].append(best)
        ours, plain, baseline, parallel, default = (
            statistics.median(samples[i]) if i in samples else None for i in range(5))
        memory = peak_memory_kb(args, case)
        speedup = f"{ours / parallel:.2f}× ({workers} launched)" if workers else "serial plan"
        chosen = f"{ours / default:.2f}× ({default_workers} launched)" if default_workers else (
            f"serial plan ({ours / default:.2f}×)")
        ratio = f"{ours / plain:.2f}×" if plain else "—"
        faster = f"{plain / ours:.1f}×" if plain else "—"
        line = (f"| {case['name']} | {scanned_rows(args, case):,} | {fmt_ms(ours)} | {fmt_ms(plain)} | {ratio} "
                f"| {faster} | {fmt_ms(baseline)} | {ours / baseline:.2f}× | {speedup} | {chosen} "
                f"| {memory / 1024:,.1f} MB |")
        lines.append(line)
        print(line, flush=True)
    version = psql(args, "SELECT version()").strip()
    print("\n" + "\n".join(lines))
    print(f"\n{args.rows:,} rows (ROWS), medians of {args.rounds} interleaved rounds (best of {args.repeats}"
          f" runs per round), server-side execution time (EXPLAIN ANALYZE, TIMING OFF); {version}")


# --- the size of each summary per customer / per row (`bash benches/run sizes`) ------
# Each summary is built over the benchmark tables; "value" is pg_column_size of the summary as
# the query returns it (its binary form, uncompressed), "stored" the same after storing it in a
# table (TOAST compresses it with pglz when that saves space). Needs the tables of the families
# customers, cohorts, revenue, service (and survey, pipeline for the fixed-size summaries).
SIZES = [
    ("crm.customer_summary", "customers", "crm.customer_agg(started_at, ended_at)", "bench_customers",
     "count(*) FILTER (WHERE ended_at IS DISTINCT FROM started_at)"),
    ("crm.cohort_summary (month)", "customers", "crm.cohort_agg(customer_id, occurred_at, 'month')",
     "bench_events", "count(DISTINCT customer_id)"),
    ("crm.cohort_summary (day)", "customers", "crm.cohort_agg(customer_id, occurred_at, 'day')",
     "bench_events", "count(DISTINCT customer_id)"),
    ("crm.mrr_summary", "customer-months", "crm.mrr_agg(customer_id, month, mrr)", "bench_mrr",
     "count(DISTINCT (customer_id, month))"),
    ("crm.service_summary", "tickets", "crm.service_agg(created_at, first_response_at, resolved_at,"
     " agent_replies, reopened)", "bench_service", "count(*)"),
    ("crm.funnel_summary", "entities", "crm.funnel_agg(entity_id, occurred_at, step, '30 days')",
     "bench_funnel", "count(DISTINCT entity_id)"),
    ("crm.nps_summary", "rows", "crm.nps_agg(score)", "bench_survey", "count(*)"),
    ("crm.pipeline_summary", "rows", "crm.pipeline_agg(amount, created_at, closed_at, won)",
     "bench_opportunities", "count(*)"),
    ("crm.survival_summary", "rows", "crm.survival_agg(duration, event)", "bench_survival", "count(*)"),
]


def sizes(args):
    print("| summary | unit | units | value bytes | bytes per unit | stored bytes | stored per unit |")
    print("|---|---|---|---|---|---|---|")
    for name, unit, call, source, units_sql in SIZES:
        if not psql(args, f"SELECT to_regclass('{source}') IS NOT NULL").strip() == "t":
            continue
        out = psql(args, f"""DROP TABLE IF EXISTS bench_size;
            CREATE TABLE bench_size AS SELECT {call} AS s FROM {source};
            SELECT (SELECT {units_sql} FROM {source}), (SELECT pg_column_size({call}) FROM {source}),
                   (SELECT pg_column_size(s) FROM bench_size);""").strip().split("|")
        units, value, stored = (int(x) for x in out)
        print(f"| {name} | {unit} | {units:,} | {value:,} | {value / units:.2f} | {stored:,} "
              f"| {stored / units:.2f} |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-setup", action="store_true",
                        help="reuse the tables of an earlier run in the same database")
    parser.add_argument("families", nargs="*")
    args = parser.parse_args()
    as_table = "table" in args.families
    as_sizes = "sizes" in args.families
    args.families = [family for family in args.families if family not in ("table", "sizes")]
    cases = [case for case in CASES if not args.families or case["family"] in args.families]
    for case in cases:
        if "setup" in case and not args.no_setup:
            started = time.time()
            # The cluster runs without synchronous commit (scripts/lib.sh); a VACUUM right after
            # a load then finds the rows' commits unflushed, cannot set their hint bits and leaves
            # the pages not all-visible, so every later scan checks each row's visibility (6 % of
            # the funnel's time) and how many pages escape depends on the walwriter's timing. With
            # the setup's own commits synchronous the tables end all-visible, as on a server that
            # commits synchronously or that autovacuum has visited.
            psql(args, "SET synchronous_commit = on;" + case["setup"], [("rows", args.rows)])
            print(f"# {case['family']}: set up (rows={args.rows}) in {time.time() - started:.1f} s",
                  flush=True)
    if as_sizes:
        sizes(args)
    if as_table:
        table(args, cases)
    if as_table or as_sizes:
        return
    print(f"\n{'metric':<34} {'ours ms':>9} {'plain ms':>9} {'sum ms':>9} {'vs plain':>9} {'vs sum':>8}")
    for case in (case for case in cases if "plain" in case):  # the table shows the others
        queries = [case["ours"], case["plain"], case["baseline"]]
        if "floor" in case:
            queries.append(case["floor"][1])
        for query in queries:
            execution_ms(args, query)  # warm-up: caches, first load of the library
        samples = [[] for _ in queries]
        order = random.Random(42)
        for _ in range(args.rounds):
            # A shuffled order each round, so no query always runs right after another.
            for index in order.sample(range(len(queries)), len(queries)):
                query = queries[index]
                samples[index].append(min(execution_ms(args, query) for _ in range(args.repeats)))
        ours, plain, baseline, *floor = (statistics.median(values) for values in samples)
        print(f"{case['name']:<34} {ours:>9.1f} {plain:>9.1f} {baseline:>9.1f} {ours / plain:>8.2f}x"
              f" {ours / baseline:>7.2f}x", flush=True)
        if floor:
            print(f"  floor, {case['floor'][0]}: {floor[0]:.1f} ms, {floor[0] / baseline:.2f}x sum();"
                  f" ours {ours / floor[0]:.2f}x the floor", flush=True)
    print(f"\n{args.rows} rows, serial plans, medians of {args.rounds} interleaved rounds (best of "
          f"{args.repeats} runs per round), server-side execution time (EXPLAIN ANALYZE, TIMING OFF)")


if __name__ == "__main__":
    main()
