-- Objects a user of crm_metrics keeps in a database: tables and materialized views that STORE
-- summaries, models and calendars of every family, views over the aggregates, and views that read
-- the stored values back. tests/lifecycle/lifecycle.py creates them with the previous release
-- (schema lifecycle), records what every one of them returns, upgrades the extension, and checks
-- that every one returns the same afterwards (and after pg_dump/pg_restore).
--
-- Written against the previous release's SQL surface (it runs there first): only what users call,
-- in schema crm. Every crm base type of the previous release must be the type of a column of a
-- table or materialized view here (the test checks it), so that a stored value of each type
-- crosses the upgrade.
CREATE SCHEMA lifecycle;
SET search_path = lifecycle, public;

-- survey: daily summaries per channel (table) and per segment (materialized view)
CREATE TABLE nps_daily AS
SELECT (responded_at AT TIME ZONE 'UTC')::date AS day, channel, crm.nps_agg(nps_score) AS summary
FROM survey_responses GROUP BY 1, 2;
CREATE MATERIALIZED VIEW nps_by_segment_mv AS
SELECT c.segment, date_trunc('quarter', r.responded_at AT TIME ZONE 'UTC')::date AS quarter,
       crm.nps_agg(r.nps_score) AS summary, crm.csat(r.csat_score) AS csat
FROM survey_responses r JOIN customers c USING (customer_id) GROUP BY 1, 2;
CREATE VIEW nps_monthly AS
SELECT date_trunc('month', day)::date AS month, crm.rollup(summary) AS summary,
       crm.nps(crm.rollup(summary)) AS nps, crm.responses(crm.rollup(summary)) AS responses,
       crm.nps_margin_of_error(crm.rollup(summary)) AS margin
FROM nps_daily GROUP BY 1;
CREATE VIEW nps_rolling_28d AS
SELECT day, channel, crm.nps(crm.rollup(summary) OVER w) AS nps_28d
FROM nps_daily
WINDOW w AS (PARTITION BY channel ORDER BY day RANGE BETWEEN '27 days' PRECEDING AND CURRENT ROW);
CREATE VIEW nps_by_segment AS
SELECT s.segment, crm.nps(s.summary) AS nps, i.low, i.high, d.*
FROM (SELECT segment, crm.rollup(summary) AS summary,
             crm.rollup(summary) FILTER (WHERE quarter >= date '2025-01-01') AS recent,
             crm.rollup(summary) FILTER (WHERE quarter < date '2025-01-01') AS earlier
      FROM nps_by_segment_mv GROUP BY segment) s,
     LATERAL crm.nps_interval(s.summary, 0.9) i,
     LATERAL crm.nps_difference(s.recent, s.earlier) d;

-- customers: a summary per segment (table) and per region (materialized view)
CREATE TABLE customers_by_segment AS
SELECT segment, crm.customer_agg(started_at, ended_at) AS summary FROM customers GROUP BY segment;
CREATE MATERIALIZED VIEW customers_by_region_mv AS
SELECT region, crm.customer_agg(started_at, ended_at) AS summary,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01') AS churn_2025
FROM customers GROUP BY region;
CREATE VIEW churn_by_segment AS
SELECT s.segment, c.*
FROM customers_by_segment s,
     LATERAL crm.churn_series(s.summary, '2025-01-01', '2026-01-01', '3 months') c;
CREATE VIEW customers_all AS
SELECT crm.customers(crm.rollup(summary)) AS customers,
       crm.active_customers(crm.rollup(summary), '2025-06-30') AS active
FROM customers_by_region_mv;

-- cohorts: monthly cohorts per segment (table), quarterly cohorts (materialized view)
CREATE TABLE cohorts_by_segment AS
SELECT c.segment, crm.cohort_agg(o.customer_id, o.ordered_at, 'month') AS summary
FROM orders o JOIN customers c USING (customer_id) GROUP BY c.segment;
CREATE MATERIALIZED VIEW cohorts_quarterly_mv AS
SELECT crm.cohort_agg(customer_id, ordered_at, 'quarter') AS summary FROM orders;
CREATE VIEW cohort_table AS
SELECT r.* FROM cohorts_quarterly_mv, LATERAL crm.cohort_retention(summary) r;
CREATE VIEW cohorts_rolled_up AS
SELECT crm.customers(crm.rollup(summary)) AS customers, crm.repeat_rate(crm.rollup(summary)) AS repeat_rate
FROM cohorts_by_segment;

-- clv: RFM rows (composite crm.rfm) per customer, models fitted over them, an sBG model
CREATE TABLE customer_rfm AS
SELECT customer_id, crm.rfm_agg(ordered_at, amount, '2026-01-01', 'week') AS rfm
FROM shop_orders GROUP BY customer_id;
CREATE TABLE clv_models AS
SELECT crm.bgnbd_fit((rfm).frequency, (rfm).recency, (rfm).t) AS bg,
       crm.gamma_gamma_fit((rfm).frequency, (rfm).monetary_value) AS gg
FROM customer_rfm;
CREATE MATERIALIZED VIEW sbg_models_mv AS
SELECT crm.sbg_fit(renewals, renewals < 7, customers) AS m
FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) v(renewals, customers);
CREATE VIEW clv_top AS
SELECT r.customer_id, crm.probability_alive(m.bg, (r.rfm).frequency, (r.rfm).recency, (r.rfm).t) AS p_alive,
       crm.expected_purchases(m.bg, 52, (r.rfm).frequency, (r.rfm).recency, (r.rfm).t) AS purchases_52w,
       crm.clv(m.bg, m.gg, (r.rfm).frequency, (r.rfm).recency, (r.rfm).t, (r.rfm).monetary_value,
               12, 0.01, 'week') AS clv_12_months
FROM customer_rfm r, clv_models m ORDER BY clv_12_months DESC, r.customer_id LIMIT 20;
CREATE VIEW clv_params AS
SELECT b.*, g.*, crm.log_likelihood(bg) AS bg_ll, crm.customers(gg) AS repeat_buyers
FROM clv_models, crm.params(bg) b, crm.params(gg) g;
CREATE VIEW sbg_projection AS
SELECT year, crm.survival(m, year) AS survival, crm.retention_rate(m, year) AS retention,
       crm.expected_lifetime(m, 0.1) AS del, crm.residual_lifetime(m, year, 0.1) AS derl
FROM sbg_models_mv, generate_series(1, 8) year;

-- pipeline: a summary per owner and quarter (table), per stage (materialized view)
CREATE TABLE pipeline_by_owner AS
SELECT owner, date_trunc('quarter', created_at AT TIME ZONE 'UTC')::date AS quarter,
       crm.pipeline_agg(amount, created_at, closed_at, won) AS summary
FROM opportunities GROUP BY 1, 2;
CREATE MATERIALIZED VIEW pipeline_by_stage_mv AS
SELECT stage, crm.pipeline_agg(amount, created_at, closed_at, won) AS summary,
       crm.win_rate(won) AS win_rate
FROM opportunities GROUP BY stage;
CREATE VIEW pipeline_owner_kpis AS
SELECT owner, crm.opportunities(crm.rollup(summary)) AS deals, crm.win_rate(crm.rollup(summary)) AS win_rate,
       crm.average_deal_size(crm.rollup(summary)) AS average_deal, crm.sales_cycle(crm.rollup(summary)) AS cycle,
       crm.won_value(crm.rollup(summary)) AS won_value, crm.open_value(crm.rollup(summary)) AS open_value,
       crm.pipeline_velocity(crm.rollup(summary), '1 month') AS velocity
FROM pipeline_by_owner GROUP BY owner;

-- revenue: an MRR summary per segment (table) and of everyone (materialized view)
CREATE TABLE mrr_by_segment AS
SELECT c.segment, crm.mrr_agg(s.customer_id, s.month, s.mrr) AS summary
FROM subscriptions_mrr s JOIN customers c USING (customer_id) GROUP BY c.segment;
CREATE MATERIALIZED VIEW mrr_all_mv AS
SELECT crm.mrr_agg(customer_id, month, mrr) AS summary FROM subscriptions_mrr;
CREATE VIEW mrr_bridge AS
SELECT m.* FROM mrr_all_mv, LATERAL crm.mrr_movements(summary) m;
CREATE VIEW mrr_retention AS
SELECT segment, crm.net_revenue_retention(summary, '2025-01-01', '2025-12-01') AS nrr,
       crm.gross_revenue_retention(summary, '2025-01-01', '2025-12-01') AS grr
FROM mrr_by_segment;

-- service: calendars (table), a summary per team and month (table), per team (materialized view)
CREATE TABLE calendars AS
SELECT team_id, calendar FROM teams
UNION ALL
SELECT 100, crm.business_calendar('Mon-Fri 09:00-12:00, 13:00-17:30; Sat 22:00-02:00', 'Europe/Paris',
                                  '{2025-12-25,2026-01-01}');
CREATE TABLE service_monthly AS
SELECT t.team_id, date_trunc('month', t.created_at AT TIME ZONE 'UTC')::date AS month,
       crm.service_agg(t.created_at, t.first_response_at, t.resolved_at, t.agent_replies, t.reopened, c.calendar) AS summary
FROM tickets t JOIN calendars c USING (team_id) GROUP BY 1, 2;
CREATE MATERIALIZED VIEW service_by_team_mv AS
SELECT team_id, crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) AS summary,
       crm.sla_attainment(created_at, first_response_at, '4 hours', calendar) AS within_4h
FROM tickets JOIN teams USING (team_id) GROUP BY team_id;
CREATE VIEW service_kpis AS
SELECT team_id, crm.tickets(crm.rollup(summary)) AS tickets, crm.first_response_time(crm.rollup(summary)) AS median_response,
       crm.resolution_time(crm.rollup(summary), 0.9) AS p90_resolution,
       crm.mean_first_response_time(crm.rollup(summary)) AS mean_response,
       crm.sla_attainment(crm.rollup(summary), '4 hours') AS within_4h,
       crm.fcr_rate(crm.rollup(summary)) AS fcr, crm.reopen_rate(crm.rollup(summary)) AS reopen
FROM service_monthly GROUP BY team_id;
CREATE VIEW business_times AS
SELECT team_id, crm.business_time(calendar, timestamptz '2025-03-07 15:00+00', timestamptz '2025-03-10 11:00+00') AS span,
       crm.business_add(calendar, timestamptz '2025-12-24 15:00+00', '6 hours') AS due,
       crm.is_business_time(calendar, timestamptz '2025-03-08 23:00+00') AS open_saturday_night
FROM calendars;

-- ratios: the plain ratios in a view
CREATE VIEW ratios AS
SELECT crm.cac(sum(amount), count(DISTINCT customer_id)) AS cac, crm.roi(sum(amount), sum(amount) / 3) AS roi,
       crm.ltv_to_cac(sum(amount) / 10, 250) AS ltv_to_cac, crm.renewal_rate(amount > 100) AS renewal_rate
FROM orders;

-- transition states a user keeps (their text forms, written as stored: an aggregate of their own
-- over these states, or a partial aggregate saved for later), and a view reading them back
CREATE TABLE stored_states AS
SELECT '{"satisfied":3,"responses":4}'::crm.csat_state AS csat,
       '{"true_rows":2,"rows":3}'::crm.share_state AS share,
       '{"customers_at_start":2,"customers_at_end":2,"new_customers":1,"churned_customers":1,"started_in_period":1,"ended_in_period":1,"rows":3,"denominator":null}'::crm.customer_period_state AS period,
       '\x01030000808080808080c0a1400102808080808080a09f4080808080808080a2400105808080808080e0a040808080808080e0a14001'::crm.fit_rows AS fit_rows,
       '\x02018080a0a4afefed02000401e08e0101ce8f0101ee900102a88f01'::crm.purchase_days AS purchase_days,
       '\x01018080a0a4afefed0202e08e011000000100690000000000000000000000ce8f011000000000140000000000000000000000'::crm.rfm_state AS rfm;
CREATE VIEW stored_states_read AS
SELECT csat::text AS csat, share::text AS share, period::text AS period, fit_rows::text AS fit_rows,
       purchase_days::text AS purchase_days, rfm::text AS rfm,
       csat OPERATOR(crm.=) csat AND share OPERATOR(crm.=) share AS equal
FROM stored_states;
