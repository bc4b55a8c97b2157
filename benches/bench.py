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
# 5M), `ours` is the crm_metrics query, `plain` the SQL people write today, `baseline` a bare
# sum() over the same rows.
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
                  count(*) FILTER (WHERE started_at <= period_start AND (ended_at IS NULL OR ended_at > period_start)) AS at_start,
                  count(*) FILTER (WHERE started_at <= period_end AND (ended_at IS NULL OR ended_at > period_end)) AS at_end,
                  count(*) FILTER (WHERE started_at > period_start AND started_at <= period_end
                                   AND (ended_at IS NULL OR ended_at > period_end)) AS new_customers,
                  count(*) FILTER (WHERE started_at <= period_start AND ended_at > period_start
                                   AND ended_at <= period_end) AS churned
                FROM (SELECT p AS period_start, p + interval '1 month' AS period_end
                      FROM generate_series(timestamptz '2024-01-01', '2025-12-01', interval '1 month') p) p
                CROSS JOIN bench_customers GROUP BY 1, 2""",
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
    # --- rollup cases (issue 11, item 1): `ours` rolls up 4,000 stored daily summaries, `plain`
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("families", nargs="*")
    args = parser.parse_args()
    cases = [case for case in CASES if not args.families or case["family"] in args.families]
    for case in cases:
        if "setup" in case:
            started = time.time()
            psql(args, case["setup"], [("rows", args.rows)])
            print(f"# {case['family']}: set up (rows={args.rows}) in {time.time() - started:.1f} s",
                  flush=True)
    print(f"\n{'metric':<34} {'ours ms':>9} {'plain ms':>9} {'sum ms':>9} {'vs plain':>9} {'vs sum':>8}")
    for case in cases:
        queries = [case["ours"], case["plain"], case["baseline"]]
        for query in queries:
            execution_ms(args, query)  # warm-up: caches, first load of the library
        samples = [[], [], []]
        order = random.Random(42)
        for _ in range(args.rounds):
            # A shuffled order each round, so no query always runs right after another.
            for index in order.sample(range(3), 3):
                query = queries[index]
                samples[index].append(min(execution_ms(args, query) for _ in range(args.repeats)))
        ours, plain, baseline = (statistics.median(values) for values in samples)
        print(f"{case['name']:<34} {ours:>9.1f} {plain:>9.1f} {baseline:>9.1f} {ours / plain:>8.2f}x"
              f" {ours / baseline:>7.2f}x", flush=True)
    print(f"\n{args.rows} rows, serial plans, medians of {args.rounds} interleaved rounds (best of "
          f"{args.repeats} runs per round), server-side execution time (EXPLAIN ANALYZE, TIMING OFF)")


if __name__ == "__main__":
    main()
