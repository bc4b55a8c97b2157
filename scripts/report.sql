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
\echo '=== Survival: how long customers stay (Kaplan-Meier, active customers censored on 2026-01-01) ==='
\echo
SELECT segment, crm.median_survival(s) AS "median lifetime",
       round((100 * crm.survival_at(s, '182 days'))::numeric, 1) AS "still there at 6 months %",
       round((100 * crm.survival_at(s, '365 days'))::numeric, 1) AS "at 1 year %",
       round((100 * crm.survival_at(s, '730 days'))::numeric, 1) AS "at 2 years %",
       crm.restricted_mean_survival(s, '730 days') AS "mean of the first 2 years"
FROM (SELECT segment, crm.survival_agg(started_at, ended_at, '2026-01-01') AS s
      FROM customers GROUP BY segment) t
ORDER BY segment;
\echo 'Log-rank test: do SMB and Enterprise customers stay equally long?'
SELECT round(chi_square::numeric, 2) AS "chi-square", round(p_value::numeric, 4) AS "p-value"
FROM crm.logrank_test(
    (SELECT crm.survival_agg(started_at, ended_at, '2026-01-01') FROM customers WHERE segment = 'SMB'),
    (SELECT crm.survival_agg(started_at, ended_at, '2026-01-01') FROM customers WHERE segment = 'Enterprise'));

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

\echo
\echo '=== Customer lifetime value: web shop purchases, BG/NBD + Gamma-Gamma fitted in weeks ==='
\echo
CREATE TEMP TABLE report_rfm AS
SELECT customer_id, (crm.rfm_agg(ordered_at, amount, '2026-01-01', 'week')).*
FROM shop_orders GROUP BY customer_id;
CREATE TEMP TABLE report_clv_models AS
SELECT crm.bgnbd_fit(frequency, recency, t) AS bg, crm.gamma_gamma_fit(frequency, monetary_value) AS gg
FROM report_rfm;
SELECT crm.customers(bg) AS customers, round(r::numeric, 3) AS r, round(alpha::numeric, 2) AS "alpha (weeks)",
       round(a::numeric, 3) AS a, round(b::numeric, 3) AS b,
       round((a / (a + b))::numeric, 3) AS "mean dropout",
       round(crm.log_likelihood(bg)::numeric, 1) AS "log-likelihood"
FROM report_clv_models, crm.params(bg);
SELECT crm.customers(gg) AS "repeat buyers", round(p::numeric, 3) AS p, round(q::numeric, 3) AS q,
       round(v::numeric, 2) AS v,
       round(crm.expected_average_value(gg, 0, 0)::numeric, 2) AS "expected spend, new customer"
FROM report_clv_models, crm.params(gg);

\echo 'Top 10 customers by predicted 12-month CLV (1 % a month discount)'
SELECT customer_id, frequency AS "repeat purchases", round(recency::numeric, 1) AS "recency (w)",
       round(t::numeric, 1) AS "age (w)", round(monetary_value, 2) AS "mean spend",
       round(crm.probability_alive(bg, frequency, recency, t)::numeric, 3) AS "P(alive)",
       round(crm.expected_purchases(bg, 52, frequency, recency, t)::numeric, 2) AS "purchases next 52 w",
       round(crm.clv(bg, gg, frequency, recency, t, monetary_value, 12, 0.01, 'week')::numeric, 2) AS "CLV 12 months"
FROM report_rfm, report_clv_models
ORDER BY "CLV 12 months" DESC, customer_id LIMIT 10;

\echo 'sBG: a yearly subscription cohort (Fader & Hardie 2007, "regular" plan: 1000 customers, active after 0..7 renewals),'
\echo 'fitted and projected to year 12'
CREATE TEMP TABLE report_sbg AS
SELECT crm.sbg_fit(renewals, renewals < 7, customers) AS m
FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) AS v(renewals, customers);
SELECT round(alpha::numeric, 3) AS alpha, round(beta::numeric, 3) AS beta, crm.customers(m) AS customers,
       round(crm.expected_lifetime(m, 0.1)::numeric, 2) AS "expected years (10 % discount)",
       round(crm.residual_lifetime(m, 7, 0.1)::numeric, 2) AS "renewals to come after 7 (10 %)"
FROM report_sbg, crm.params(m);
SELECT year, observed AS "observed active", round(1000 * crm.survival(m, year)) AS "model active",
       round((100 * crm.retention_rate(m, year))::numeric, 1) AS "renewal rate %"
FROM report_sbg,
     unnest(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            ARRAY[631, 468, 382, 326, 289, 262, 241, NULL, NULL, NULL, NULL, NULL]) AS p(year, observed);
-- --- Sales pipeline, recurring revenue and plain ratios ---
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

\echo
\echo '=== Funnels: leads created -> qualified -> opportunity -> won within 90 days, by source ==='
\echo
SELECT source,
       max(f.entities) FILTER (WHERE f.step = 1) AS leads,
       round((100 * max(f.conversion_from_first) FILTER (WHERE f.step = 2))::numeric, 1) AS "qualified %",
       round((100 * max(f.conversion_from_first) FILTER (WHERE f.step = 3))::numeric, 1) AS "opportunity %",
       round((100 * max(f.conversion_from_first) FILTER (WHERE f.step = 4))::numeric, 1) AS "won %",
       max(f.median_time_from_first) FILTER (WHERE f.step = 4) AS "median time to won"
FROM (SELECT source, crm.funnel_agg(lead_id, occurred_at, step, '90 days') AS s
      FROM lead_events GROUP BY source) per_source
     CROSS JOIN LATERAL crm.funnel_steps(s) f
GROUP BY source ORDER BY source;
