-- Recurring revenue family: user-visible output of crm.mrr_agg, crm.mrr_movements,
-- crm.net_revenue_retention and crm.gross_revenue_retention.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;
SET intervalstyle = 'postgres';
-- Histories with gaps, reactivations, explicit zero rows, duplicate rows for one month and
-- customers who only ever paid 0.
CREATE TABLE regress_mrr AS
SELECT c::bigint AS customer_id, (date '2024-01-01' + make_interval(months => m))::date AS month,
       CASE WHEN (c * 7 + m * 13) % 11 = 0 THEN 0
            ELSE round(((c * 7919 + m * 104729) % 50000) / 100.0, 2) END AS mrr
FROM generate_series(1, 20000) c, generate_series(0, 11) m
WHERE (c * 31 + m * 17) % 5 <> 0 AND m >= c % 9 AND m <= 11 - c % 4;
INSERT INTO regress_mrr SELECT customer_id, month, 10.5 FROM regress_mrr WHERE customer_id % 13 = 0;
INSERT INTO regress_mrr SELECT 100000 + c, date '2024-03-01', 0 FROM generate_series(1, 5) c;
ANALYZE regress_mrr;

-- A small history, every movement once.
SELECT * FROM crm.mrr_movements((
    SELECT crm.mrr_agg(customer_id, month::date, mrr) FROM (VALUES
        (1, '2025-01-01', 100), (1, '2025-02-01', 150), (1, '2025-03-01', 120), (1, '2025-05-01', 80),
        (2, '2025-01-01', 50), (2, '2025-01-01', 50.00), (2, '2025-02-01', 100), (2, '2025-03-01', 0),
        (3, '2025-02-01', 0), (4, '2025-04-01', 30)) v(customer_id, month, mrr)));

-- The bridge of the table, and the balance identity on every row.
SELECT * FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM regress_mrr));
SELECT count(*) AS rows_breaking_the_balance
FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM regress_mrr))
WHERE ending_mrr <> starting_mrr + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr
   OR customers_at_end <> customers_at_start + new_customers + reactivated_customers - churned_customers;

-- Independent reference: the lag() window query over months filled with zeros.
WITH agg AS (SELECT customer_id, month, sum(mrr) AS mrr FROM regress_mrr GROUP BY 1, 2),
     months AS (SELECT generate_series(min(month), max(month), interval '1 month')::date AS month FROM regress_mrr),
     firsts AS (SELECT customer_id, min(month) AS first_seen FROM agg GROUP BY 1),
     grid AS (SELECT f.customer_id, m.month, coalesce(a.mrr, 0) AS mrr
              FROM firsts f JOIN months m ON m.month >= f.first_seen
              LEFT JOIN agg a ON a.customer_id = f.customer_id AND a.month = m.month),
     lagged AS (SELECT month, mrr, coalesce(lag(mrr) OVER w, 0) AS previous,
                       coalesce(max(mrr) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) > 0 AS paid_before
                FROM grid WINDOW w AS (PARTITION BY customer_id ORDER BY month)),
     reference AS (
        SELECT month, sum(previous) AS starting_mrr,
               coalesce(sum(mrr) FILTER (WHERE previous = 0 AND mrr > 0 AND NOT paid_before), 0) AS new_mrr,
               coalesce(sum(mrr - previous) FILTER (WHERE previous > 0 AND mrr > previous), 0) AS expansion_mrr,
               coalesce(sum(previous - mrr) FILTER (WHERE mrr > 0 AND previous > mrr), 0) AS contraction_mrr,
               coalesce(sum(previous) FILTER (WHERE previous > 0 AND mrr = 0), 0) AS churned_mrr,
               coalesce(sum(mrr) FILTER (WHERE previous = 0 AND mrr > 0 AND paid_before), 0) AS reactivation_mrr,
               sum(mrr) AS ending_mrr,
               count(*) FILTER (WHERE previous > 0) AS customers_at_start,
               count(*) FILTER (WHERE previous = 0 AND mrr > 0 AND NOT paid_before) AS new_customers,
               count(*) FILTER (WHERE previous > 0 AND mrr = 0) AS churned_customers,
               count(*) FILTER (WHERE previous = 0 AND mrr > 0 AND paid_before) AS reactivated_customers,
               count(*) FILTER (WHERE mrr > 0) AS customers_at_end
        FROM lagged GROUP BY month),
     ours AS (SELECT * FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM regress_mrr)))
SELECT (SELECT count(*) FROM (SELECT * FROM ours EXCEPT SELECT * FROM reference) a) AS ours_not_in_reference,
       (SELECT count(*) FROM (SELECT * FROM reference EXCEPT SELECT * FROM ours) b) AS reference_not_in_ours;

-- Revenue retention, with the join query side by side.
SELECT round(crm.net_revenue_retention(s, '2024-03-01', '2024-12-01')::numeric, 10) AS nrr,
       round(crm.gross_revenue_retention(s, '2024-03-01', '2024-12-01')::numeric, 10) AS grr
FROM (SELECT crm.mrr_agg(customer_id, month, mrr) AS s FROM regress_mrr) t;
WITH agg AS (SELECT customer_id, month, sum(mrr) AS mrr FROM regress_mrr GROUP BY 1, 2),
     f AS (SELECT customer_id, mrr FROM agg WHERE month = '2024-03-01' AND mrr > 0),
     t AS (SELECT customer_id, mrr FROM agg WHERE month = '2024-12-01')
SELECT round(sum(coalesce(t.mrr, 0)) / sum(f.mrr), 10) AS nrr,
       round(sum(least(coalesce(t.mrr, 0), f.mrr)) / sum(f.mrr), 10) AS grr
FROM f LEFT JOIN t USING (customer_id);

-- Text and uuid ids give the same bridge.
SELECT (SELECT array_agg(m ORDER BY m.month) FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id::text, month, mrr) FROM regress_mrr)) m)
     = (SELECT array_agg(m ORDER BY m.month) FROM crm.mrr_movements((SELECT crm.mrr_agg(md5(customer_id::text)::uuid, month, mrr) FROM regress_mrr)) m)
   AND (SELECT array_agg(m ORDER BY m.month) FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id::text, month, mrr) FROM regress_mrr)) m)
     = (SELECT array_agg(m ORDER BY m.month) FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM regress_mrr)) m)
       AS same_bridge;

-- NULL and empty input; only zero rows.
SELECT crm.mrr_agg(customer_id, month, mrr) FROM (VALUES (NULL::bigint, date '2025-01-01', 1::numeric)) v(customer_id, month, mrr);
SELECT crm.mrr_agg(customer_id, month, mrr) FROM regress_mrr WHERE false;
SELECT crm.mrr_agg(1, '2025-01-01', 0);
SELECT * FROM crm.mrr_movements((SELECT crm.mrr_agg(1, '2025-01-01', 0)));

-- Bad input: SQLSTATE and message.
SELECT error_of($$SELECT crm.mrr_agg(1, '2025-01-15', 10)$$);
SELECT error_of($$SELECT crm.mrr_agg('acme'::text, 'infinity', 10)$$);
SELECT error_of($$SELECT crm.mrr_agg(1, '2025-01-01', -10)$$);
SELECT error_of($$SELECT crm.mrr_agg(1, '2025-01-01', 'NaN')$$);
SELECT error_of($$SELECT crm.mrr_agg(1, '2025-01-01', v) FROM (VALUES (79228162514264337593543950335), (1)) x(v)$$);
SELECT error_of($$SELECT crm.net_revenue_retention(crm.mrr_agg(1, '2025-01-01', 5), '2025-01-02', '2025-03-01')$$);
SELECT error_of($$SELECT crm.gross_revenue_retention(crm.mrr_agg(1, '2025-01-01', 5), '2025-03-01', '2025-01-01')$$);
SELECT error_of($$SELECT crm.rollup(s) FROM (SELECT crm.mrr_agg(1, '2025-01-01', 5) UNION ALL SELECT crm.mrr_agg('x'::text, '2025-01-01', 5)) t(s)$$);
SELECT error_of($$SELECT 'nonsense'::crm.mrr_summary$$);

-- Text form.
SELECT crm.mrr_agg(customer_id, month::date, mrr) AS s
FROM (VALUES (7, '2025-02-01', 9.5), (7, '2025-02-01', 0.50), (3, '2025-01-01', 0), (5, '2025-01-01', 20)) v(customer_id, month, mrr);
SELECT s::text::crm.mrr_summary::text = s::text AS round_trips
FROM (SELECT crm.mrr_agg(customer_id, month, mrr) AS s FROM regress_mrr) t;

-- Rollup of per-month summaries equals one pass.
CREATE TABLE monthly_mrr AS SELECT month, crm.mrr_agg(customer_id, month, mrr) AS summary FROM regress_mrr GROUP BY month;
SELECT (SELECT crm.rollup(summary) FROM monthly_mrr)::text = (SELECT crm.mrr_agg(customer_id, month, mrr) FROM regress_mrr)::text
       AS rollup_equals_one_pass;

-- Forced parallel plan: Partial and Finalize Aggregate, same summary as serial.
CREATE TABLE serial_result AS SELECT crm.mrr_agg(customer_id, month, mrr)::text AS summary FROM regress_mrr;
SELECT force_parallel();
-- Merging these growing states is costed by the rows aggregated (crm_internal.merged_state_cost),
-- so the planner would rather gather the rows: free operators and a small tuple cost force the
-- partial aggregates whose combine this checks.
SET cpu_operator_cost = 0;
SET parallel_tuple_cost = 0.0001;
EXPLAIN (COSTS OFF) SELECT crm.mrr_agg(customer_id, month, mrr) FROM regress_mrr;
EXPLAIN (COSTS OFF) SELECT crm.rollup(summary) FROM monthly_mrr;
SELECT (SELECT crm.mrr_agg(customer_id, month, mrr)::text FROM regress_mrr) = summary AS parallel_equals_serial,
       (SELECT crm.rollup(summary)::text FROM monthly_mrr) = summary AS parallel_rollup_equals_serial
FROM serial_result;
SELECT serial();
RESET cpu_operator_cost;

DROP TABLE serial_result, monthly_mrr, regress_mrr;

-- A customer-month's total keeps one scale whatever the order of its rows.
SELECT crm.mrr_agg(1::bigint, date '2025-01-01', a ORDER BY o)::text AS ascending,
       crm.mrr_agg(1::bigint, date '2025-01-01', a ORDER BY o DESC)::text AS descending,
       crm.mrr_agg(1::bigint, date '2025-01-01', a ORDER BY o)
         OPERATOR(crm.=) crm.mrr_agg(1::bigint, date '2025-01-01', a ORDER BY o DESC) AS equal
FROM (VALUES (1, 1.0000000000000000000000000000), (2, 100000000000.0), (3, 1.0)) v(o, a);
