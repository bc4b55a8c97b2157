-- One metric query per line of business, over the sample data (scripts/sample_data.sql).
-- The security tests (tests/security.py), the real-client tests (tests/clients/) and the soak
-- (benches/soak) all read this file: a new family adds its queries here and is then covered by
-- all three.
--
-- Format: each query starts with a line "-- query: NAME" and ends at the next one (or the end of
-- the file); it is one SELECT with no trailing semicolon-separated second statement, returns
-- at most a few dozen rows in a fixed order (ORDER BY), and reads only the sample tables.
-- Write every crm object schema-qualified (crm.nps, not nps).

-- query: survey_nps_by_segment
SELECT c.segment, crm.nps(r.nps_score) AS nps, crm.csat(r.csat_score) AS csat,
       round(crm.nps(r.nps_score)::numeric, 2) AS nps_rounded
FROM survey_responses r JOIN customers c USING (customer_id)
GROUP BY c.segment ORDER BY c.segment

-- query: survey_summary_by_year
SELECT date_trunc('year', responded_at)::date AS year, crm.nps_agg(nps_score) AS summary,
       crm.nps_margin_of_error(crm.nps_agg(nps_score)) AS margin
FROM survey_responses GROUP BY 1 ORDER BY 1

-- query: survey_interval
SELECT i.low, i.high, (crm.rollup(s.summary)) IS NOT NULL AS rolled_up
FROM (SELECT crm.nps_agg(nps_score) AS summary FROM survey_responses GROUP BY channel) s,
     LATERAL crm.nps_interval(s.summary) i
GROUP BY i.low, i.high ORDER BY i.low

-- query: survey_interval_record
SELECT crm.nps_interval(crm.nps_agg(nps_score), 0.9) AS interval_90
FROM survey_responses

-- query: survey_rollup
SELECT crm.nps(crm.rollup(summary)) AS nps, crm.responses(crm.rollup(summary)) AS responses
FROM (SELECT crm.nps_agg(nps_score) AS summary FROM survey_responses
      GROUP BY date_trunc('month', responded_at)) monthly

-- query: customers_rates
SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2026-01-01') AS retention,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01') AS churn
FROM customers

-- query: customers_churn_series
SELECT period_start, period_end - period_start AS length, customers_at_start,
       churned_customers, churn_rate
FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM customers),
                      '2025-07-01', '2026-01-01', '1 month')

-- query: customers_summary
SELECT crm.customer_agg(started_at, ended_at) AS summary,
       crm.active_customers(crm.customer_agg(started_at, ended_at), '2025-06-30') AS active
FROM customers

-- query: cohorts_retention
SELECT cohort, period_number, cohort_size, active_customers, retention_rate
FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, ordered_at, 'quarter') FROM orders))
WHERE cohort >= date '2025-01-01' ORDER BY cohort, period_number

-- query: cohorts_repeat_rate
SELECT crm.repeat_rate(crm.cohort_agg(customer_id, ordered_at, 'month')) AS repeat_rate
FROM orders

-- query: pipeline_by_owner
SELECT owner, crm.pipeline_agg(amount, created_at, closed_at, won) AS summary,
       crm.win_rate(crm.pipeline_agg(amount, created_at, closed_at, won)) AS win_rate,
       crm.average_deal_size(crm.pipeline_agg(amount, created_at, closed_at, won)) AS average_deal,
       crm.sales_cycle(crm.pipeline_agg(amount, created_at, closed_at, won)) AS sales_cycle,
       crm.pipeline_velocity(crm.pipeline_agg(amount, created_at, closed_at, won), '1 month') AS per_month
FROM opportunities GROUP BY owner ORDER BY owner

-- query: pipeline_one_step
SELECT crm.pipeline_velocity(amount, created_at, closed_at, won) AS per_day, crm.win_rate(won) AS win_rate
FROM opportunities

-- query: ratios
SELECT crm.cac(sum(amount), count(DISTINCT customer_id)) AS cac,
       crm.roi(sum(amount), sum(amount) / 2) AS roi,
       crm.conversion_rate(count(DISTINCT customer_id), count(*)) AS conversion
FROM orders

-- query: revenue_mrr_movements
SELECT month, starting_mrr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, ending_mrr
FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM subscriptions_mrr))
WHERE month >= date '2025-07-01'

-- query: revenue_retention
SELECT crm.net_revenue_retention(s, '2025-01-01', '2025-12-01') AS nrr,
       crm.gross_revenue_retention(s, '2025-01-01', '2025-12-01') AS grr
FROM (SELECT crm.mrr_agg(customer_id, month, mrr) AS s FROM subscriptions_mrr) t

-- query: service_by_team
SELECT team_id, crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) AS summary,
       crm.first_response_time(crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar)) AS median_response,
       crm.sla_attainment(crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar), '4 hours') AS within_4h
FROM tickets JOIN teams USING (team_id) GROUP BY team_id ORDER BY team_id

-- query: service_business_time
SELECT team_id, calendar, crm.business_time(calendar, timestamptz '2025-03-07 15:00+00', timestamptz '2025-03-10 11:00+00') AS business_time,
       crm.business_add(calendar, timestamptz '2025-03-07 15:00+00', '4 hours') AS due
FROM teams ORDER BY team_id

-- query: survival_by_segment
SELECT segment, crm.median_survival(s) AS median_lifetime, crm.survival_at(s, '365 days') AS after_a_year,
       crm.restricted_mean_survival(s, '730 days') AS mean_of_first_two_years
FROM (SELECT segment, crm.survival_agg(started_at, ended_at, '2026-01-01') AS s FROM customers GROUP BY segment) t
ORDER BY segment

-- query: survival_curve_tickets
SELECT time, at_risk, events, censored, survival, low, high
FROM crm.survival_curve((SELECT crm.survival_agg(coalesce(resolved_at, '2026-01-01') - created_at, resolved_at IS NOT NULL)
                         FROM tickets))
ORDER BY time LIMIT 20

-- query: funnels_levels
SELECT source, level, count(*) AS leads
FROM (SELECT lead_id, source, crm.window_funnel(occurred_at, step, '30 days', 'strict_order') AS level
      FROM lead_events GROUP BY lead_id, source) per_lead
GROUP BY source, level ORDER BY source, level

-- query: funnels_by_owner
SELECT owner, crm.funnel_agg(lead_id, occurred_at, step, '90 days') AS summary
FROM lead_events GROUP BY owner ORDER BY owner

-- query: funnels_steps
SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(lead_id, occurred_at, step, '90 days') FROM lead_events))
