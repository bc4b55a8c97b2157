#!/usr/bin/env python3
"""Cancels every crm aggregate and set-returning function at every phase, and checks that the
server never crashes and that a cancel says only what Postgres says.

    tests/cancel_phases.py --host H --port P --server-log FILE [--counts FILE] [--steps N] [CASE...]

The cases come from the catalog: every aggregate and every set-returning function of schema
crm must have an entry in CASES below (the test fails on one without), and the functions whose
loops the caller controls (LOOPS) are added. For each case the statement first runs without a
timeout to measure its time T; then it runs again under `statement_timeout` stepped across
(0, T), so that the interrupt lands in each phase in turn: the transition, the final function
and, with a parallel plan forced for the aggregates, the serialization of the workers' states and
the combine in the leader. A few heavy cases are also stopped from a second session with
pg_cancel_backend and pg_terminate_backend after stepped delays.

Passes when every run ends with its result, 57014 (query_canceled) or, for
pg_terminate_backend, 57P01 (admin_shutdown); when no cancel reports a DETAIL, a HINT or a word of
Rust (a backtrace names `crm_metrics::` or `std::`); and when the server log has no line of a
backend that died ("terminated by signal", "fatal runtime error", "panicked"). Takes about a
minute.
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crm_queries import SESSION, write_counts  # noqa: E402

DATABASE = "crm_cancel_phases"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
ROWS = 300_000

SETUP = r"""
CREATE EXTENSION crm_metrics;
SET TimeZone = 'UTC';
CREATE TABLE r AS
SELECT g,
       (g % 11)::int AS score,
       (1 + g % 5)::int AS stars,
       (g % 40000)::bigint AS id,
       'c' || (g % 40000) AS id_text,
       md5((g % 40000)::text)::uuid AS id_uuid,
       timestamptz '2000-01-01' + g * interval '7 minutes' AS ts,
       CASE WHEN g % 3 <> 0
            THEN timestamptz '2000-01-01' + g * interval '7 minutes' + (g % 700) * interval '1 day'
       END AS te,
       timestamptz '2000-01-01' + g * interval '7 minutes' + (g % 50) * interval '1 hour' AS responded,
       (g % 2 = 0) AS flag,
       (g % 3 = 0) AS churned,
       ((g % 1000) * 1.25 + 1)::numeric AS amount,
       (date '2000-01-01' + (g % 36) * interval '1 month')::date AS month,
       (g % 7)::int AS replies,
       (g % 50)::int AS frequency,
       (g % 50) * 0.5 + (g % 9973) * 1e-6 AS recency,
       (g % 24)::int AS periods
FROM generate_series(1, :rows) AS g;
ALTER TABLE r SET (parallel_workers = 2);
-- Model inputs the fits identify (the fits refuse data whose likelihood peaks at a parameter
-- bound): the CDNOW sample of the lifetimes package, its customers repeated with new ids, and
-- the "regular" sBG cohort of Fader & Hardie (2007), scaled.
CREATE TABLE cdnow_customers (id int, frequency int, recency float8, age float8, spend numeric);
\copy cdnow_customers FROM '{FIXTURES}/cdnow_customers_summary_with_transactions.csv' CSV HEADER
CREATE TABLE cdnow_lines (line text);
\copy cdnow_lines FROM '{FIXTURES}/CDNOW_sample.txt'
CREATE TABLE fits AS
SELECT c.frequency, c.recency, c.age, c.spend, (1 + copy % 3)::bigint AS weight
FROM cdnow_customers c, generate_series(1, 40) AS copy;
CREATE TABLE purchases AS
SELECT (split_part(trim(line), ' ', 1)::bigint + 10000 * copy) AS id,
       to_date(split_part(regexp_replace(trim(line), ' +', ' ', 'g'), ' ', 3), 'YYYYMMDD')::timestamptz AS ts
FROM cdnow_lines, generate_series(1, 40) AS copy;
CREATE TABLE cohort_rows AS
SELECT renewals AS periods, renewals < 7 AS churned, customers AS weight
FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) v(renewals, customers),
     generate_series(1, 300) AS copy;
CREATE TABLE cohort_customers AS
SELECT periods, churned FROM cohort_rows, generate_series(1, weight) WHERE weight > 0 LIMIT 300000;
-- The donations of Fader, Hardie & Shang (2010) for the BG/BB fit: 300 copies of its 22 rows,
-- and its 11,104 donors 27 times over one row each.
CREATE TABLE donations (frequency int, recency int, periods int, weight bigint);
\copy donations FROM '{FIXTURES}/donations.csv' CSV HEADER
CREATE TABLE donation_rows AS SELECT d.* FROM donations d, generate_series(1, 300) AS copy;
CREATE TABLE donation_customers AS
SELECT frequency, recency, periods FROM donations, generate_series(1, weight) AS donor, generate_series(1, 27) AS copy;
ALTER TABLE fits SET (parallel_workers = 2);
ALTER TABLE purchases SET (parallel_workers = 2);
ALTER TABLE cohort_rows SET (parallel_workers = 2);
ALTER TABLE cohort_customers SET (parallel_workers = 2);
ALTER TABLE donation_rows SET (parallel_workers = 2);
ALTER TABLE donation_customers SET (parallel_workers = 2);
CREATE TABLE cal AS SELECT crm.business_calendar('Mon-Fri 09:00-12:00, 13:00-17:30', 'Europe/Berlin',
    ARRAY[date '2001-12-25', date '2002-12-25']) AS calendar;
-- Stored summaries, many per table, for the rollups.
CREATE TABLE nps_s AS SELECT crm.nps_agg(score) AS s FROM r GROUP BY g % 20000;
CREATE TABLE customer_s AS SELECT crm.customer_agg(ts, te) AS s FROM r GROUP BY g % 2000;
CREATE TABLE cohort_s AS SELECT crm.cohort_agg(id, ts, 'week') AS s FROM r GROUP BY id % 500;
CREATE TABLE mrr_s AS SELECT crm.mrr_agg(id, month, amount) AS s FROM r GROUP BY id % 500;
CREATE TABLE service_s AS SELECT crm.service_agg(ts, responded, te, replies, flag) AS s
    FROM r GROUP BY g % 2000;
CREATE TABLE pipeline_s AS SELECT crm.pipeline_agg(amount, ts, te, flag) AS s FROM r GROUP BY g % 20000;
CREATE TABLE survival_s AS SELECT crm.survival_agg(ts, te, timestamptz '2003-01-01') AS s
    FROM r GROUP BY g % 2000;
CREATE TABLE funnel_s AS SELECT crm.funnel_agg(id, ts, replies % 5, '30 days') AS s FROM r GROUP BY id % 500;
ALTER TABLE nps_s SET (parallel_workers = 2);
ALTER TABLE customer_s SET (parallel_workers = 2);
ALTER TABLE cohort_s SET (parallel_workers = 2);
ALTER TABLE mrr_s SET (parallel_workers = 2);
ALTER TABLE service_s SET (parallel_workers = 2);
ALTER TABLE pipeline_s SET (parallel_workers = 2);
ALTER TABLE survival_s SET (parallel_workers = 2);
ALTER TABLE funnel_s SET (parallel_workers = 2);
-- One summary each, for the readers.
CREATE TABLE one AS SELECT
    (SELECT crm.rollup(s) FROM nps_s) AS nps,
    (SELECT crm.rollup(s) FROM customer_s) AS customers,
    (SELECT crm.rollup(s) FROM cohort_s) AS cohorts,
    (SELECT crm.rollup(s) FROM mrr_s) AS mrr,
    (SELECT crm.rollup(s) FROM service_s) AS service,
    (SELECT crm.rollup(s) FROM survival_s) AS survival,
    (SELECT crm.rollup(s) FROM funnel_s) AS funnel,
    crm.bgnbd_model(0.24, 4.41, 0.79, 2.43) AS bgnbd,
    crm.gamma_gamma_model(6.25, 3.74, 15.44) AS gamma_gamma,
    crm.sbg_model(0.668, 3.806) AS sbg,
    crm.bgbb_model(1.204, 0.750, 0.657, 2.783) AS bgbb;
ANALYZE;
"""

# Aggregates: signature -> the call over table r (or a table of summaries given with FROM).
AGGREGATES = {
    "crm.nps(integer)": "crm.nps(score)",
    "crm.nps_agg(integer)": "crm.nps_agg(score)",
    "crm.rollup(crm.nps_summary)": "crm.rollup(s) FROM nps_s",
    "crm.csat(integer)": "crm.csat(stars)",
    "crm.csat(integer,integer)": "crm.csat(stars, 4)",
    "crm.retention_rate(timestamp with time zone,timestamp with time zone,timestamp with time zone,"
    "timestamp with time zone)": "crm.retention_rate(ts, te, '2001-01-01', '2002-01-01')",
    "crm.churn_rate(timestamp with time zone,timestamp with time zone,timestamp with time zone,"
    "timestamp with time zone)": "crm.churn_rate(ts, te, '2001-01-01', '2002-01-01')",
    "crm.churn_rate(timestamp with time zone,timestamp with time zone,timestamp with time zone,"
    "timestamp with time zone,text)": "crm.churn_rate(ts, te, '2001-01-01', '2002-01-01', 'average')",
    "crm.customer_agg(timestamp with time zone,timestamp with time zone)": "crm.customer_agg(ts, te)",
    "crm.rollup(crm.customer_summary)": "crm.rollup(s) FROM customer_s",
    "crm.cohort_agg(bigint,timestamp with time zone,text)": "crm.cohort_agg(id, ts, 'week')",
    "crm.cohort_agg(bigint,timestamp with time zone,text,text)":
        "crm.cohort_agg(id, ts, 'week', 'Europe/Berlin')",
    "crm.cohort_agg(text,timestamp with time zone,text)": "crm.cohort_agg(id_text, ts, 'month')",
    "crm.cohort_agg(text,timestamp with time zone,text,text)":
        "crm.cohort_agg(id_text, ts, 'month', 'America/New_York')",
    "crm.cohort_agg(uuid,timestamp with time zone,text)": "crm.cohort_agg(id_uuid, ts, 'day')",
    "crm.cohort_agg(uuid,timestamp with time zone,text,text)":
        "crm.cohort_agg(id_uuid, ts, 'day', 'Asia/Tokyo')",
    "crm.rollup(crm.cohort_summary)": "crm.rollup(s) FROM cohort_s",
    "crm.mrr_agg(bigint,date,numeric)": "crm.mrr_agg(id, month, amount)",
    "crm.mrr_agg(text,date,numeric)": "crm.mrr_agg(id_text, month, amount)",
    "crm.mrr_agg(uuid,date,numeric)": "crm.mrr_agg(id_uuid, month, amount)",
    "crm.rollup(crm.mrr_summary)": "crm.rollup(s) FROM mrr_s",
    "crm.win_rate(boolean)": "crm.win_rate(flag)",
    "crm.renewal_rate(boolean)": "crm.renewal_rate(flag)",
    "crm.conversion_rate(boolean)": "crm.conversion_rate(flag)",
    "crm.pipeline_agg(numeric,timestamp with time zone,timestamp with time zone,boolean)":
        "crm.pipeline_agg(amount, ts, te, flag)",
    "crm.pipeline_velocity(numeric,timestamp with time zone,timestamp with time zone,boolean)":
        "crm.pipeline_velocity(amount, ts, te, flag)",
    "crm.rollup(crm.pipeline_summary)": "crm.rollup(s) FROM pipeline_s",
    "crm.rfm_agg(timestamp with time zone,numeric,timestamp with time zone,text)":
        "crm.rfm_agg(ts, amount, '2010-01-01', 'day')",
    "crm.rfm_holdout_agg(timestamp with time zone,numeric,timestamp with time zone,timestamp with time zone,text)":
        "crm.rfm_holdout_agg(ts, amount, '2005-01-01', '2010-01-01', 'day')",
    "crm.bgnbd_fit(integer,double precision,double precision)":
        "crm.bgnbd_fit(frequency, recency, age) FROM fits",
    "crm.bgnbd_fit(integer,double precision,double precision,bigint)":
        "crm.bgnbd_fit(frequency, recency, age, weight) FROM fits",
    "crm.bgnbd_fit(integer,double precision,double precision,integer)":
        "crm.bgnbd_fit(frequency, recency, age, weight::integer) FROM fits",
    "crm.bgnbd_fit(integer,double precision,double precision,double precision)":
        "crm.bgnbd_fit(frequency, recency, age, 0.001) FROM fits",
    "crm.bgnbd_fit(integer,double precision,double precision,bigint,double precision)":
        "crm.bgnbd_fit(frequency, recency, age, weight, 0.001) FROM fits",
    "crm.bgnbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.bgnbd_fit(id, ts, '1997-09-30', 'week', 0.001) FROM purchases WHERE ts <= '1997-09-30'",
    "crm.bgnbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.bgnbd_fit(id::text, ts, '1997-09-30', 'week', 0.001) FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.bgnbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.bgnbd_fit(md5(id::text)::uuid, ts, '1997-09-30', 'week', 0.001) FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.bgnbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)":
        "crm.bgnbd_fit(id, ts, '1997-09-30', 'week') FROM purchases WHERE ts <= '1997-09-30'",
    "crm.bgnbd_fit(text,timestamp with time zone,timestamp with time zone,text)":
        "crm.bgnbd_fit(id::text, ts, '1997-09-30', 'week') FROM purchases WHERE ts <= '1997-09-30'",
    "crm.bgnbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)":
        "crm.bgnbd_fit(md5(id::text)::uuid, ts, '1997-09-30', 'week') FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.mbg_nbd_fit(integer,double precision,double precision)":
        "crm.mbg_nbd_fit(frequency, recency, age) FROM fits",
    "crm.mbg_nbd_fit(integer,double precision,double precision,bigint)":
        "crm.mbg_nbd_fit(frequency, recency, age, weight) FROM fits",
    "crm.mbg_nbd_fit(integer,double precision,double precision,integer)":
        "crm.mbg_nbd_fit(frequency, recency, age, weight::integer) FROM fits",
    "crm.mbg_nbd_fit(integer,double precision,double precision,double precision)":
        "crm.mbg_nbd_fit(frequency, recency, age, 0.001) FROM fits",
    "crm.mbg_nbd_fit(integer,double precision,double precision,bigint,double precision)":
        "crm.mbg_nbd_fit(frequency, recency, age, weight, 0.001) FROM fits",
    "crm.mbg_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)":
        "crm.mbg_nbd_fit(id, ts, '1997-09-30', 'week') FROM purchases WHERE ts <= '1997-09-30'",
    "crm.mbg_nbd_fit(text,timestamp with time zone,timestamp with time zone,text)":
        "crm.mbg_nbd_fit(id::text, ts, '1997-09-30', 'week') FROM purchases WHERE ts <= '1997-09-30'",
    "crm.mbg_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)":
        "crm.mbg_nbd_fit(md5(id::text)::uuid, ts, '1997-09-30', 'week') FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.mbg_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.mbg_nbd_fit(id, ts, '1997-09-30', 'week', 0.001) FROM purchases WHERE ts <= '1997-09-30'",
    "crm.mbg_nbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.mbg_nbd_fit(id::text, ts, '1997-09-30', 'week', 0.001) FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.mbg_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.mbg_nbd_fit(md5(id::text)::uuid, ts, '1997-09-30', 'week', 0.001) FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.pareto_nbd_fit(integer,double precision,double precision)":
        "crm.pareto_nbd_fit(frequency, recency, age) FROM fits",
    "crm.pareto_nbd_fit(integer,double precision,double precision,bigint)":
        "crm.pareto_nbd_fit(frequency, recency, age, weight) FROM fits",
    "crm.pareto_nbd_fit(integer,double precision,double precision,integer)":
        "crm.pareto_nbd_fit(frequency, recency, age, weight::integer) FROM fits",
    "crm.pareto_nbd_fit(integer,double precision,double precision,double precision)":
        "crm.pareto_nbd_fit(frequency, recency, age, 0.001) FROM fits",
    "crm.pareto_nbd_fit(integer,double precision,double precision,bigint,double precision)":
        "crm.pareto_nbd_fit(frequency, recency, age, weight, 0.001) FROM fits",
    "crm.pareto_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)":
        "crm.pareto_nbd_fit(id, ts, '1997-09-30', 'week') FROM purchases WHERE ts <= '1997-09-30'",
    "crm.pareto_nbd_fit(text,timestamp with time zone,timestamp with time zone,text)":
        "crm.pareto_nbd_fit(id::text, ts, '1997-09-30', 'week') FROM purchases WHERE ts <= '1997-09-30'",
    "crm.pareto_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)":
        "crm.pareto_nbd_fit(md5(id::text)::uuid, ts, '1997-09-30', 'week') FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.pareto_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.pareto_nbd_fit(id, ts, '1997-09-30', 'week', 0.001) FROM purchases WHERE ts <= '1997-09-30'",
    "crm.pareto_nbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.pareto_nbd_fit(id::text, ts, '1997-09-30', 'week', 0.001) FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.pareto_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)":
        "crm.pareto_nbd_fit(md5(id::text)::uuid, ts, '1997-09-30', 'week', 0.001) FROM purchases "
        "WHERE ts <= '1997-09-30'",
    "crm.gamma_gamma_fit(integer,numeric)":
        "crm.gamma_gamma_fit(frequency, spend) FROM fits WHERE frequency > 0",
    "crm.sbg_fit(integer,boolean)": "crm.sbg_fit(periods, churned) FROM cohort_customers",
    "crm.sbg_fit(integer,boolean,bigint)": "crm.sbg_fit(periods, churned, weight) FROM cohort_rows",
    "crm.sbg_fit(integer,boolean,integer)":
        "crm.sbg_fit(periods, churned, weight::integer) FROM cohort_rows",
    "crm.sbg_fit(integer,boolean,double precision)":
        "crm.sbg_fit(periods, churned, 0.001) FROM cohort_customers",
    "crm.sbg_fit(integer,boolean,bigint,double precision)":
        "crm.sbg_fit(periods, churned, weight, 0.001) FROM cohort_rows",
    "crm.gamma_gamma_fit(integer,numeric,double precision)":
        "crm.gamma_gamma_fit(frequency, spend, 0.001) FROM fits WHERE frequency > 0",
    "crm.bgbb_fit(integer,integer,integer)":
        "crm.bgbb_fit(frequency, recency, periods) FROM donation_customers",
    "crm.bgbb_fit(integer,integer,integer,bigint)":
        "crm.bgbb_fit(frequency, recency, periods, weight) FROM donation_rows",
    "crm.bgbb_fit(integer,integer,integer,integer)":
        "crm.bgbb_fit(frequency, recency, periods, weight::integer) FROM donation_rows",
    "crm.bgbb_fit(integer,integer,integer,double precision)":
        "crm.bgbb_fit(frequency, recency, periods, 0.001) FROM donation_customers",
    "crm.bgbb_fit(integer,integer,integer,bigint,double precision)":
        "crm.bgbb_fit(frequency, recency, periods, weight, 0.001) FROM donation_rows",
    "crm.service_agg(timestamp with time zone,timestamp with time zone,timestamp with time zone,"
    "integer,boolean)": "crm.service_agg(ts, responded, te, replies, flag)",
    "crm.service_agg(timestamp with time zone,timestamp with time zone,timestamp with time zone,"
    "integer,boolean,crm.business_calendar)":
        "crm.service_agg(ts, responded, te, replies, flag, calendar) FROM r, cal",
    "crm.service_agg(timestamp with time zone,timestamp with time zone,timestamp with time zone,"
    "integer,boolean,crm.business_calendar,timestamp with time zone)":
        "crm.service_agg(ts, responded, te, replies, flag, calendar, timestamptz '2003-01-01') FROM r, cal",
    "crm.rollup(crm.service_summary)": "crm.rollup(s) FROM service_s",
    "crm.sla_attainment(timestamp with time zone,timestamp with time zone,interval)":
        "crm.sla_attainment(ts, responded, interval '1 day')",
    "crm.sla_attainment(timestamp with time zone,timestamp with time zone,interval,"
    "crm.business_calendar)": "crm.sla_attainment(ts, responded, interval '4 hours', calendar) FROM r, cal",
    "crm.sla_attainment(timestamp with time zone,timestamp with time zone,interval,"
    "crm.business_calendar,timestamp with time zone)":
        "crm.sla_attainment(ts, responded, interval '4 hours', calendar, timestamptz '2003-01-01') FROM r, cal",
    "crm.fcr_rate(integer,boolean,boolean)": "crm.fcr_rate(replies, flag, true)",
    "crm.survival_agg(timestamp with time zone,timestamp with time zone,timestamp with time zone)":
        "crm.survival_agg(ts, te, timestamptz '2003-01-01')",
    "crm.survival_agg(interval,boolean)": "crm.survival_agg(responded - ts + (g % 997) * interval '1 second', flag)",
    "crm.rollup(crm.survival_summary)": "crm.rollup(s) FROM survival_s",
    "crm.window_funnel(timestamp with time zone,integer,interval)":
        "crm.window_funnel(ts, replies % 5, '30 days')",
    "crm.window_funnel(timestamp with time zone,integer,interval,text)":
        "crm.window_funnel(ts, replies % 5, '30 days', 'strict_order')",
    "crm.funnel_agg(bigint,timestamp with time zone,integer,interval)":
        "crm.funnel_agg(id, ts, replies % 5, '30 days')",
    "crm.funnel_agg(bigint,timestamp with time zone,integer,interval,text)":
        "crm.funnel_agg(id, ts, replies % 5, '30 days', 'strict_deduplication')",
    "crm.funnel_agg(text,timestamp with time zone,integer,interval)":
        "crm.funnel_agg(id_text, ts, replies % 5, '30 days')",
    "crm.funnel_agg(text,timestamp with time zone,integer,interval,text)":
        "crm.funnel_agg(id_text, ts, replies % 5, '30 days', 'strict_increase')",
    "crm.funnel_agg(uuid,timestamp with time zone,integer,interval)":
        "crm.funnel_agg(id_uuid, ts, replies % 5, '30 days')",
    "crm.funnel_agg(uuid,timestamp with time zone,integer,interval,text)":
        "crm.funnel_agg(id_uuid, ts, replies % 5, '30 days', 'strict_order')",
    "crm.rollup(crm.funnel_summary)": "crm.rollup(s) FROM funnel_s",
}

# Set-returning functions: signature -> a statement.
SET_RETURNING = {
    "crm.churn_series(crm.customer_summary,timestamp with time zone,timestamp with time zone,"
    "interval,text,text)":
        "SELECT count(*) FROM one, crm.churn_series(customers, '2000-01-01 00:00 Europe/Berlin', "
        "'2030-01-01 00:00 Europe/Berlin', '1 day', 'start', 'Europe/Berlin')",
    "crm.churn_series(crm.customer_summary,date,date,interval,text,text)":
        "SELECT count(*) FROM one, crm.churn_series(customers, date '2000-01-01', date '2030-01-01', "
        "'1 day', 'start', 'Europe/Berlin')",
    "crm.cohort_retention(crm.cohort_summary,text)":
        "SELECT count(*) FROM one, crm.cohort_retention(cohorts, 'unbounded')",
    "crm.mrr_movements(crm.mrr_summary)": "SELECT count(*) FROM one, crm.mrr_movements(mrr)",
    "crm.funnel_steps(crm.funnel_summary)":
        "SELECT count(*) FROM one, generate_series(1, 200), crm.funnel_steps(funnel)",
    "crm.nps_difference(crm.nps_summary,crm.nps_summary,double precision)":
        "SELECT count(*) FROM nps_s, crm.nps_difference(s, s, 0.95)",
    "crm.nps_interval(crm.nps_summary,double precision)":
        "SELECT count(*) FROM nps_s, crm.nps_interval(s, 0.95)",
    "crm.sla_counts(crm.service_summary,interval,text)":
        "SELECT count(*) FROM one, generate_series(1, 20), crm.sla_counts(service, interval '1 day', 'resolution')",
    "crm.params(crm.bgnbd_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.params(bgnbd)",
    "crm.params(crm.gamma_gamma_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.params(gamma_gamma)",
    "crm.params(crm.sbg_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.params(sbg)",
    "crm.fit_diagnostics(crm.bgnbd_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.fit_diagnostics(bgnbd)",
    "crm.fit_diagnostics(crm.gamma_gamma_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.fit_diagnostics(gamma_gamma)",
    "crm.fit_diagnostics(crm.sbg_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.fit_diagnostics(sbg)",
    "crm.survival_curve(crm.survival_summary,double precision)":
        "SELECT count(*) FROM one, generate_series(1, 20), crm.survival_curve(survival, 0.95)",
    "crm.median_survival_interval(crm.survival_summary,double precision)":
        "SELECT count(*) FROM one, generate_series(1, 20), crm.median_survival_interval(survival, 0.95)",
    "crm.life_table(crm.survival_summary,interval,integer)":
        "SELECT count(*) FROM one, generate_series(1, 20), crm.life_table(survival, interval '1 hour', 1000000)",
    "crm.logrank_test(crm.survival_summary,crm.survival_summary)":
        "SELECT count(*) FROM survival_s, crm.logrank_test(s, s)",
    "crm.params(crm.bgbb_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.params(bgbb)",
    "crm.fit_diagnostics(crm.bgbb_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.fit_diagnostics(bgbb)",
    "crm.params_se(crm.bgnbd_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.params_se(bgnbd)",
    "crm.params_se(crm.gamma_gamma_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.params_se(gamma_gamma)",
    "crm.params_se(crm.sbg_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.params_se(sbg)",
    "crm.params_se(crm.bgbb_model)":
        "SELECT count(*) FROM one, generate_series(1, 100000), crm.params_se(bgbb)",
}

# Functions whose loops the caller controls (spans, horizons, sizes of summaries).
LOOPS = {
    "business_time": "SELECT crm.business_time(calendar, '1000-01-01', '9000-01-01') FROM cal",
    "business_add": "SELECT crm.business_add(calendar, '1000-01-01', interval '20000000 hours') FROM cal",
    "customer_summary_text": "SELECT length(customers::text) FROM one",
    "customer_summary_input": "SELECT crm.customers(customers::text::crm.customer_summary) FROM one",
    "cohort_summary_text": "SELECT length(cohorts::text) FROM one",
    "active_customers": "SELECT crm.active_customers(customers, '2001-01-01') FROM one, generate_series(1, 20)",
    "service_percentiles": "SELECT crm.resolution_time(service, 0.9), crm.sla_attainment(service, "
                           "interval '1 day', 'resolution') FROM one, generate_series(1, 20)",
    "clv_horizon": "SELECT crm.clv(bgnbd, gamma_gamma, frequency, recency, age, spend, 1200, 0.01, 'week') "
                   "FROM one, fits WHERE spend > 0 LIMIT 5",
    "clv_interval_horizon": "SELECT crm.clv(bgnbd, gamma_gamma, frequency, recency, age, spend, "
                            "interval '99 years 11 months 20 days', 0.01, 'week') "
                            "FROM one, fits WHERE spend > 0 LIMIT 5",
    "expected_lifetime": "SELECT crm.expected_lifetime(sbg, 1e-5) FROM one",
    "survival_summary_text": "SELECT length(survival::text) FROM one",
    "survival_readers": "SELECT crm.median_survival(survival), crm.restricted_mean_survival(survival, '3650 days') "
                        "FROM one, generate_series(1, 20)",
    "bgbb_long_history": "SELECT crm.probability_alive(bgbb, 0, 0, 5000000) FROM one",
    "bgbb_clv_long_horizon": "SELECT crm.clv(bgbb, 6, 6, 6, 1, 20000000, -1e-12) FROM one",
}

# Cases whose own loops check for interrupts inside the transition or the combine (where a
# cancel once aborted the backend): stepped this many times more finely.
FINER = {
    "crm.customer_agg(timestamp with time zone,timestamp with time zone)": 4,
    "crm.rollup(crm.customer_summary)": 2,
    "crm.cohort_agg(bigint,timestamp with time zone,text)": 2,
    "crm.rollup(crm.cohort_summary)": 2,
}

# Cases stopped from a second session too.
FROM_ANOTHER_SESSION = [
    "crm.customer_agg(timestamp with time zone,timestamp with time zone)",
    "crm.churn_series(crm.customer_summary,timestamp with time zone,timestamp with time zone,"
    "interval,text,text)",
    "crm.bgnbd_fit(integer,double precision,double precision)",
    "crm.rollup(crm.cohort_summary)",
    "business_add",
]

# The longest run measured: a statement that runs longer (a model fit's optimizer) is stepped
# across its first second.
CAP_MS = 1000

# A parallel plan with partial states: page reads and operators cost nothing (merging growing
# states is costed per row aggregated, crm_internal.merged_state_cost, which would otherwise make
# gathering the rows cheaper), a tuple sent to the leader a little (at 0 it ties).
PARALLEL = ("SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; "
            "SET parallel_tuple_cost = 0.01; SET min_parallel_table_scan_size = 0; "
            "SET seq_page_cost = 0; SET cpu_operator_cost = 0; "
            "SET parallel_leader_participation = off;")
SERIAL = "SET max_parallel_workers_per_gather = 0;"

# What a dead backend leaves in the server log.
CRASH = re.compile(r"terminated by signal|fatal runtime error|panicked|"
                   r"all server processes terminated|failed to initiate panic")
# What a cancel must not say: a DETAIL or HINT line, or a word of Rust.
NOISE = re.compile(r"^(DETAIL|HINT|CONTEXT):|crm_metrics::|std::|backtrace", re.M)


def psql(host, port, script, database, application="crm_cancel_phases"):
    command = ["psql", "-X", "-q", "-h", host, "-p", str(port), "-U", "postgres", "-d", database]
    environment = dict(os.environ, PGOPTIONS=SESSION, PGAPPNAME=application)
    result = subprocess.run(command, input=script, capture_output=True, text=True, env=environment,
                            timeout=300)
    return result.returncode, result.stdout, result.stderr


def statement_of(name, call):
    """An aggregate's call as a statement (its result not printed), or a statement as is."""
    if call.startswith("SELECT"):
        return call
    expression, _, source = call.partition(" FROM ")
    return f"SELECT ({expression}) IS NULL FROM {source or 'r'}"


def run_steps(host, port, statement, settings, timeouts):
    """Runs statement once per timeout (ms; 0 = none) in one session: [(sqlstate, ms)], stderr."""
    lines = ["\\set ON_ERROR_STOP 0", "\\set VERBOSITY default", "\\o /dev/null", settings]
    for timeout in timeouts:
        # Only the statement may run under the timeout: the start is read before it is set, and
        # the reset, which runs under it too (a timeout of 1 ms can fire even there on a busy
        # machine), is repeated while it fails.
        lines += ["\\unset crm_ms", "SELECT clock_timestamp() AS crm_started \\gset",
                  f"SET statement_timeout = {timeout};",
                  f"{statement};",
                  "\\echo @@ :SQLSTATE",
                  "SET statement_timeout = 0;"]
        lines += ["\\if :ERROR", "SET statement_timeout = 0;", "\\endif"] * 3
        lines += ["SELECT round(1000 * extract(epoch FROM clock_timestamp() - :'crm_started')) AS crm_ms \\gset",
                  "\\echo ## :crm_ms"]
    status, out, err = psql(host, port, "\n".join(lines) + "\n", DATABASE)
    states = re.findall(r"^@@ (\S+)$", out, re.M)
    # A time that could not be read (the server too busy even for the resets) is None.
    times = [int(float(ms)) if re.fullmatch(r"\d+(\.\d*)?", ms) else None
             for ms in re.findall(r"^## (\S+)$", out, re.M)]
    return list(zip(states, times)), err, status


def stop_from_another_session(host, port, statement, delay, function):
    """Starts statement, calls function (pg_cancel_backend or pg_terminate_backend) on it after
    delay seconds; the victim's (stderr, return code)."""
    application = f"crm_victim_{os.getpid()}"
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=default", "-h", host,
               "-p", str(port), "-U", "postgres", "-d", DATABASE]
    environment = dict(os.environ, PGOPTIONS=SESSION, PGAPPNAME=application)
    victim = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env=environment)
    victim.stdin.write(f"{statement};\n")
    victim.stdin.close()
    time.sleep(delay)
    psql(host, port, f"SELECT {function}(pid) FROM pg_stat_activity WHERE application_name = "
                     f"'{application}';", DATABASE, application="crm_cancel_killer")
    try:
        err = victim.stderr.read()
        victim.wait(60)
    except subprocess.TimeoutExpired:
        victim.kill()
        return "no end within 60 s", -1
    return err, victim.returncode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--server-log", required=True)
    parser.add_argument("--counts")
    parser.add_argument("--steps", type=int, default=5, help="timeouts per case and plan")
    parser.add_argument("--verbose", action="store_true", help="print each case's time")
    parser.add_argument("cases", nargs="*", help="only these cases (signature or name)")
    args = parser.parse_args()
    host, port = args.host, args.port
    passed = failed = 0
    started = time.monotonic()

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAILED cancel_phases: {name}\n{detail}")

    log_start = os.path.getsize(args.server_log)
    for statement in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        status, _, err = psql(host, port, statement, "postgres")
        if status:
            sys.exit(err)
    setup = SETUP.replace("{FIXTURES}", FIXTURES)
    status, _, err = psql(host, port, f"\\set ON_ERROR_STOP 1\n\\set rows {ROWS}\n" + setup, DATABASE)
    if status:
        sys.exit(err)

    # Every aggregate and set-returning function of the catalog has a case.
    _, out, _ = psql(host, port, "\\pset tuples_only on\n\\pset format unaligned\n"
                     "SELECT p.oid::regprocedure, p.prokind = 'a' FROM pg_proc p "
                     "WHERE p.pronamespace = 'crm'::regnamespace AND (p.prokind = 'a' OR p.proretset);",
                     DATABASE)
    catalog = [line.split("|") for line in out.split("\n") if line.strip()]
    for signature, aggregate in catalog:
        cases = AGGREGATES if aggregate == "t" else SET_RETURNING
        check(f"{signature} has a cancel case", signature in cases)
    check("the catalog lists the aggregates", sum(1 for _, a in catalog if a == "t") >= len(AGGREGATES))

    cases = [(name, statement_of(name, call), True) for name, call in AGGREGATES.items()]
    cases += [(name, statement, False) for name, statement in SET_RETURNING.items()]
    cases += [(name, statement, False) for name, statement in LOOPS.items()]
    if args.cases:
        cases = [case for case in cases if case[0] in args.cases]
    runs = cancels = 0
    for name, statement, aggregate in cases:
        plans = [("serial", SERIAL)] + ([("parallel", PARALLEL)] if aggregate else [])
        for plan, settings in plans:
            # The time of the whole statement, then timeouts across it (at least 1 ms).
            results, err, _ = run_steps(host, port, statement, settings, [CAP_MS])
            state, total = results[0] if results else ("none", 0)
            total = CAP_MS if total is None else total
            check(f"{name} ({plan}): runs (or reaches the {CAP_MS} ms timeout)", state in ("00000", "57014"),
                  f"{state}: {err}")
            if args.verbose:
                print(f"cancel_phases: {name} ({plan}): {total} ms")
            count = args.steps * FINER.get(name, 1)
            steps = sorted({max(1, round(total * k / (count + 1))) for k in range(1, count + 1)})
            results, err, status = run_steps(host, port, statement, settings, steps)
            runs += len(results) + 1
            cancels += sum(1 for state, _ in results if state == "57014")
            bad = [f"{timeout} ms: {state}" for timeout, (state, _) in zip(steps, results)
                   if state not in ("00000", "57014")]
            check(f"{name} ({plan}): every stepped timeout ends in the result or 57014 "
                  f"(T = {total} ms, timeouts {steps} ms)", len(results) == len(steps) and not bad,
                  f"{bad} {err[-2000:]}")
            check(f"{name} ({plan}): a cancel reports no DETAIL, HINT or Rust", not NOISE.search(err),
                  err[-2000:])

    for name in FROM_ANOTHER_SESSION:
        matching = [(case, statement) for case, statement, _ in cases if case == name]
        if not matching:
            continue
        statement = matching[0][1]
        for function, code in (("pg_cancel_backend", "canceling statement due to user request"),
                               ("pg_terminate_backend", "terminating connection due to administrator command")):
            for delay in (0.05, 0.15, 0.3):
                err, status = stop_from_another_session(host, port, statement, delay, function)
                ok = status == 0 or code in err
                check(f"{name}: {function} after {delay} s ends it with its own message", ok, err[-2000:])
                check(f"{name}: {function} after {delay} s reports no DETAIL, HINT or Rust",
                      not NOISE.search(err), err[-2000:])
                runs += 1

    # The server never restarted: no backend died, and it still answers.
    time.sleep(0.5)
    with open(args.server_log, errors="replace") as handle:
        handle.seek(log_start)
        log = handle.read()
    crashes = [line for line in log.split("\n") if CRASH.search(line)]
    check("no backend died (server log)", not crashes, "\n".join(crashes[:20]))
    status, out, err = psql(host, port, "SELECT crm.customers(customers) FROM one;", DATABASE)
    check("the server still answers", status == 0, err)
    psql(host, port, f"DROP DATABASE IF EXISTS {DATABASE}", "postgres")
    print(f"cancel_phases: {len(cases)} cases, {runs} runs, {cancels} stopped by statement_timeout "
          f"in {time.monotonic() - started:.0f} s")
    if args.counts:
        write_counts(args.counts, passed, failed)
    print(f"cancel_phases: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
