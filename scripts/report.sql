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
