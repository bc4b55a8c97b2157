-- The KPI report of the demo: one section per metric family, all computed by crm_metrics.
-- Usage: psql -d crm_demo -f scripts/report.sql   (after scripts/sample_data.sql)
\set ON_ERROR_STOP on
\set QUIET on
\pset footer off
\pset null '-'

\echo
\echo '=== Customer satisfaction: NPS and CSAT ==='
\echo
SELECT crm.responses(s)                          AS responses,
       round(crm.nps(s)::numeric, 1)             AS nps,
       round(crm.nps_margin_of_error(s)::numeric, 1) AS "Wald ± (95 %)",
       round(i.low::numeric, 1)                  AS "adj. Wald low",
       round(i.high::numeric, 1)                 AS "adj. Wald high",
       crm.promoters(s) AS promoters, crm.passives(s) AS passives, crm.detractors(s) AS detractors
FROM (SELECT crm.nps_agg(nps_score) AS s FROM survey_responses) t
LEFT JOIN LATERAL crm.nps_interval(s) AS i ON true;

\echo 'By segment'
SELECT c.segment,
       crm.responses(crm.nps_agg(r.nps_score))                          AS responses,
       round(crm.nps(r.nps_score)::numeric, 1)                          AS nps,
       round(crm.nps_margin_of_error(crm.nps_agg(r.nps_score))::numeric, 1) AS "± (95 %)",
       round((100 * crm.csat(r.csat_score))::numeric, 1)                AS "csat %"
FROM survey_responses r JOIN customers c USING (customer_id)
GROUP BY c.segment ORDER BY nps DESC;

\echo 'By month (last 12 months), with the rolling 3-month NPS from monthly summaries'
WITH monthly AS (
    SELECT date_trunc('month', responded_at AT TIME ZONE 'UTC')::date AS month,
           crm.nps_agg(nps_score) AS summary,
           crm.csat(csat_score)   AS csat
    FROM survey_responses
    WHERE responded_at >= timestamptz '2025-01-01'
    GROUP BY 1
)
SELECT month,
       crm.responses(summary)                                  AS responses,
       round(crm.nps(summary)::numeric, 1)                     AS nps,
       round(crm.nps(crm.rollup(summary) OVER w)::numeric, 1)  AS "nps 3 months",
       round((100 * csat)::numeric, 1)                         AS "csat %"
FROM monthly
WINDOW w AS (ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
ORDER BY month;

\echo
\echo '=== Customers: retention and churn by month (last 12 months, one scan of customers) ==='
\echo
SELECT period_start::date AS month,
       customers_at_start AS "at start", new_customers AS new, churned_customers AS churned,
       customers_at_end AS "at end",
       round((100 * retention_rate)::numeric, 1) AS "retention %",
       round((100 * churn_rate)::numeric, 1) AS "churn %"
FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM customers),
                      '2025-01-01', '2026-01-01', '1 month');

\echo 'Churn in 2025 by segment, three denominators'
SELECT segment,
       round((100 * crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01'))::numeric, 1) AS "churn % (start)",
       round((100 * crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01', 'average'))::numeric, 1) AS "churn % (average)",
       round((100 * crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01', 'start_plus_new'))::numeric, 1) AS "churn % (start + new)"
FROM customers GROUP BY segment ORDER BY segment;

\echo
\echo '=== Cohorts: quarterly retention of ordering customers (classic, % of cohort) ==='
\echo
SELECT cohort, cohort_size AS customers,
       round(100 * max(retention_rate) FILTER (WHERE period_number = 1)) AS "q+1",
       round(100 * max(retention_rate) FILTER (WHERE period_number = 2)) AS "q+2",
       round(100 * max(retention_rate) FILTER (WHERE period_number = 3)) AS "q+3",
       round(100 * max(retention_rate) FILTER (WHERE period_number = 4)) AS "q+4",
       round(100 * max(retention_rate) FILTER (WHERE period_number = 5)) AS "q+5",
       round(100 * max(retention_rate) FILTER (WHERE period_number = 6)) AS "q+6",
       round(100 * max(retention_rate) FILTER (WHERE period_number = 7)) AS "q+7",
       round(100 * max(retention_rate) FILTER (WHERE period_number = 8)) AS "q+8"
FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, ordered_at, 'quarter') FROM orders))
GROUP BY cohort, cohort_size ORDER BY cohort;

SELECT round((100 * crm.repeat_rate(crm.cohort_agg(customer_id, ordered_at, 'month')))::numeric, 1)
       AS "customers ordering in 2+ months, %"
FROM orders;

-- --- Sales pipeline, recurring revenue and plain ratios (issue 13) ---
\echo
\echo '=== Sales pipeline: velocity, win rate, deal size and sales cycle by owner ==='
\echo
SELECT owner,
       crm.opportunities(s)                            AS deals,
       crm.won(s) AS won, crm.lost(s) AS lost, crm.open(s) AS open,
       round((100 * crm.win_rate(s))::numeric, 1)      AS "win rate %",
       round(crm.average_deal_size(s), 0)              AS "avg deal",
       justify_hours(date_trunc('hour', crm.sales_cycle(s))) AS "sales cycle",
       round(crm.pipeline_velocity(s, '1 month'), 0)   AS "velocity / month"
FROM (SELECT owner, crm.pipeline_agg(amount, created_at, closed_at, won) AS s
      FROM opportunities GROUP BY owner) t
ORDER BY "velocity / month" DESC NULLS LAST;

SELECT crm.opportunities(s) AS deals,
       round((100 * crm.win_rate(s))::numeric, 1)      AS "win rate %",
       round(crm.open_value(s), 0)                     AS "open pipeline",
       round(crm.pipeline_velocity(s, '1 month'), 0)   AS "velocity / month",
       round(crm.closed_value_velocity(s, '1 month'), 0) AS "closed value / month"
FROM (SELECT crm.pipeline_agg(amount, created_at, closed_at, won) AS s FROM opportunities) t;

\echo
\echo '=== Recurring revenue: MRR bridge of the last 12 months ==='
\echo
SELECT month, starting_mrr AS starting, new_mrr AS new, expansion_mrr AS expansion,
       contraction_mrr AS contraction, churned_mrr AS churned, reactivation_mrr AS reactivation,
       ending_mrr AS ending, customers_at_end AS customers
FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM subscriptions_mrr))
WHERE month >= date '2025-01-01';

SELECT round((100 * crm.net_revenue_retention(s, '2025-01-01', '2025-12-01'))::numeric, 1) AS "NRR % (Jan -> Dec 2025)",
       round((100 * crm.gross_revenue_retention(s, '2025-01-01', '2025-12-01'))::numeric, 1) AS "GRR % (Jan -> Dec 2025)"
FROM (SELECT crm.mrr_agg(customer_id, month, mrr) AS s FROM subscriptions_mrr) t;

\echo
\echo '=== Plain ratios on the sample data ==='
\echo
WITH pipeline AS (SELECT crm.pipeline_agg(amount, created_at, closed_at, won) AS s
                  FROM opportunities WHERE created_at >= '2025-01-01'),
     mrr AS (SELECT sum(mrr) FILTER (WHERE month = '2025-12-01') AS december,
                    sum(mrr) FILTER (WHERE month = '2024-12-01') AS previous_december
             FROM subscriptions_mrr)
SELECT round((100 * crm.conversion_rate(crm.won(s), crm.won(s) + crm.lost(s)))::numeric, 1) AS "deal conversion % (2025)",
       round((100 * crm.growth_rate(december, previous_december))::numeric, 1) AS "MRR growth % (Dec 2025 vs Dec 2024)",
       round(crm.quota_attainment(crm.won_value(s), 2500000)::numeric, 3) AS "quota attainment (2.5M target)"
FROM pipeline, mrr;
\echo
\echo '=== Service: first response and resolution in business hours, by team (2025) ==='
\echo
SELECT name AS team,
       crm.tickets(s) AS tickets,
       crm.first_response_time(s) AS "median response",
       crm.first_response_time(s, 0.9) AS "p90 response",
       crm.resolution_time(s) AS "median resolution",
       crm.resolution_time(s, 0.9) AS "p90 resolution",
       round((100 * crm.sla_attainment(s, '4 hours'))::numeric, 1) AS "response within 4h %"
FROM (SELECT team_id, crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) AS s
      FROM tickets JOIN teams USING (team_id)
      WHERE created_at >= '2025-01-01' AND created_at < '2026-01-01'
      GROUP BY team_id) t
JOIN teams USING (team_id) ORDER BY team_id;

\echo 'SLA attainment (first response within 4 business hours), FCR and reopen rates by month (2025)'
SELECT date_trunc('month', created_at)::date AS month,
       round((100 * crm.sla_attainment(s, '4 hours'))::numeric, 1) AS "response within 4h %",
       round((100 * crm.fcr_rate(s))::numeric, 1) AS "FCR %",
       round((100 * crm.reopen_rate(s))::numeric, 1) AS "reopened %"
FROM (SELECT date_trunc('month', created_at) AS created_at,
             crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) AS s
      FROM tickets JOIN teams USING (team_id)
      WHERE created_at >= '2025-01-01' AND created_at < '2026-01-01'
      GROUP BY 1) m
ORDER BY 1;
