-- Money in summaries: every sum of amounts is exact (or 22003 naming the function and the
-- values), and a summary's bytes and text do not depend on the path that built it (GROUP BY,
-- a sliding window frame, a rollup, a parallel plan).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

CREATE TABLE money_deals (i int, amount numeric, created_at timestamptz, closed_at timestamptz, won boolean);
INSERT INTO money_deals VALUES
    (1, 0.25, '2025-01-01', '2025-01-02', true),
    (2, 8.5, '2025-01-01', '2025-01-03', true),
    (3, 1, '2025-01-01', NULL, NULL),
    (4, 8.50, '2025-01-01', NULL, NULL),
    (5, 0.25, '2025-01-01', NULL, NULL),
    (6, 2.000, '2025-01-01', '2025-01-05', true),
    (7, 3, '2025-01-01', '2025-01-05', false),
    (8, 5, '2025-01-01', '2025-01-06', true);

-- A sliding frame gives the summary GROUP BY gives over the frame's rows, byte for byte: the
-- sums keep the largest scale of the amounts still in the frame (8.5, not 8.50, once 0.25 left).
SELECT i, crm.pipeline_agg(amount, created_at, closed_at, won) OVER w AS windowed,
       crm.pipeline_agg(amount, created_at, closed_at, won) OVER w
         OPERATOR(crm.=) (SELECT crm.pipeline_agg(amount, created_at, closed_at, won) FROM money_deals f
            WHERE f.i BETWEEN d.i - 1 AND d.i) AS equals_group_by
FROM money_deals d
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
ORDER BY i;
-- Every frame of every width, as text and as binary forms, and for the rollup of one summary
-- per row: no frame differs from its recomputation.
SELECT count(*) AS frames,
       count(*) FILTER (WHERE windowed::text IS DISTINCT FROM grouped::text
                           OR crm_internal.pipeline_summary_send(windowed) IS DISTINCT FROM crm_internal.pipeline_summary_send(grouped)
                           OR rolled::text IS DISTINCT FROM grouped::text) AS differing
FROM (SELECT width, d.i,
             CASE width WHEN 1 THEN crm.pipeline_agg(amount, created_at, closed_at, won) OVER w1
                        WHEN 2 THEN crm.pipeline_agg(amount, created_at, closed_at, won) OVER w2
                        ELSE crm.pipeline_agg(amount, created_at, closed_at, won) OVER w3 END AS windowed,
             CASE width WHEN 1 THEN crm.rollup(one) OVER w1
                        WHEN 2 THEN crm.rollup(one) OVER w2
                        ELSE crm.rollup(one) OVER w3 END AS rolled,
             (SELECT crm.pipeline_agg(amount, created_at, closed_at, won) FROM money_deals f
              WHERE f.i BETWEEN d.i - width + 1 AND d.i) AS grouped
      FROM (SELECT *, crm.pipeline_agg(amount, created_at, closed_at, won) OVER (PARTITION BY i) AS one
            FROM money_deals) d, generate_series(1, 3) width
      WINDOW w1 AS (PARTITION BY width ORDER BY i ROWS CURRENT ROW),
             w2 AS (PARTITION BY width ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW),
             w3 AS (PARTITION BY width ORDER BY i ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)) frames;
-- The velocity over the same frames, as a number.
SELECT i, crm.pipeline_velocity(amount, created_at, closed_at, won)
            OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS velocity
FROM money_deals ORDER BY i;
-- Equal summaries from the two paths are one value for =, DISTINCT, UNION and GROUP BY.
SELECT count(DISTINCT s::text) AS distinct_texts, count(*) AS summaries, count(DISTINCT s) AS distinct_summaries
FROM (SELECT crm.pipeline_agg(amount, created_at, closed_at, won)
             OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM money_deals WHERE i IN (1, 2, 4)
      UNION SELECT crm.pipeline_agg(amount, created_at, closed_at, won) FROM money_deals WHERE i = 2
      UNION SELECT crm.pipeline_agg(amount, created_at, closed_at, won) FROM money_deals WHERE i IN (1, 2)
      UNION SELECT crm.pipeline_agg(amount, created_at, closed_at, won) FROM money_deals WHERE i IN (2, 4)) u;

-- Past 28 significant digits a sum is refused (22003, naming the function and the values),
-- never rounded: 1e27 + 0.25 used to give ...000.2, and a frame {5} after it 4.975.
SELECT error_of($$SELECT crm.pipeline_agg(a, '2025-01-01', '2025-01-02', true) FROM (VALUES (1e27), (0.25)) v(a)$$);
SELECT error_of($$SELECT crm.pipeline_agg(a, '2025-01-01', NULL, NULL) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
                  FROM (VALUES (1, 1e27), (2, 0.025), (3, 5)) v(i, a)$$);
SELECT error_of($$SELECT crm.rollup(s) FROM (VALUES ('{"won":0,"lost":0,"open":1,"won_value":"0","open_value":"1000000000000000000000000000","won_cycle_microseconds":0}'::crm.pipeline_summary),
                  ('{"won":0,"lost":0,"open":1,"won_value":"0","open_value":"0.25","won_cycle_microseconds":0}')) v(s)$$);
-- What fits stays exact: 1e27 + 0.2 has 29 digits (below 2^96), and 0.20 drops its zero to fit.
SELECT crm.open_value(crm.pipeline_agg(a, '2025-01-01', NULL, NULL)) AS exact
FROM (VALUES (1e27), (0.20)) v(a);
SELECT i, crm.open_value(crm.pipeline_agg(a, '2025-01-01', NULL, NULL) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)) AS frame
FROM (VALUES (1, 1e27), (2, 0.2), (3, 5)) v(i, a) ORDER BY i;
-- MRR: a customer-month, a month's total and a change of MRR are exact or 22003; the bridge
-- identity starting + new + expansion - contraction - churned + reactivation = ending holds.
SELECT error_of($$SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1, date '2025-01-01', 1e27), (1, '2025-01-01', 0.25)) v(id, m, a)$$);
SELECT error_of($$SELECT * FROM crm.mrr_movements((SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1, date '2025-01-01', 1e27), (2, '2025-01-01', 0.25)) v(id, m, a)))$$);
SELECT error_of($$SELECT * FROM crm.mrr_movements((SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1, date '2025-01-01', 1e27), (1, '2025-02-01', 0.25)) v(id, m, a)))$$);
SELECT month, starting_mrr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr, ending_mrr,
       starting_mrr + new_mrr + expansion_mrr - contraction_mrr - churned_mrr + reactivation_mrr = ending_mrr AS balanced
FROM crm.mrr_movements((SELECT crm.mrr_agg(id, m, a) FROM (VALUES (1, date '2025-01-01', 9999999999999999999999999.99),
    (1, '2025-02-01', 0.01), (2, '2025-01-01', 0.50), (2, '2025-02-01', 1.5)) v(id, m, a)));
-- RFM: a day's purchases and the repeat purchases' total are exact or 22003.
SELECT error_of($$SELECT crm.rfm_agg(t, a, '2025-03-01', 'day') FROM (VALUES (timestamptz '2025-01-01', 1e27), ('2025-01-01', 0.25)) v(t, a)$$);
SELECT error_of($$SELECT crm.rfm_agg(t, a, '2025-03-01', 'day') FROM (VALUES (timestamptz '2025-01-01', 1), ('2025-01-02', 1e27), ('2025-01-03', 0.25)) v(t, a)$$);
SELECT (crm.rfm_agg(t, a, '2025-03-01', 'day')).* FROM (VALUES (timestamptz '2025-01-01', 1), ('2025-01-02', 1e27), ('2025-01-02', 0.2)) v(t, a);
-- Windows over the aggregates without an inverse transition keep the scale GROUP BY gives.
SELECT i, crm.mrr_agg(1, date '2025-01-01', a) OVER w::text
            = (SELECT crm.mrr_agg(1, date '2025-01-01', a) FROM (VALUES (1, 0.25), (2, 8.5), (3, 1)) f(j, a) WHERE j BETWEEN v.i - 1 AND v.i)::text AS mrr_equal,
       (crm.rfm_agg(timestamptz '2025-01-01' + i * interval '1 day', a, '2025-03-01', 'day') OVER w).monetary_value AS rfm_monetary
FROM (VALUES (1, 0.25), (2, 8.5), (3, 1)) v(i, a)
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
ORDER BY i;

DROP TABLE money_deals;
