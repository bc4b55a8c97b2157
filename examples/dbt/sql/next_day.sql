-- The day after the sample data ends, 2026-01-01, arriving after a first `dbt build`: survey
-- answers, a new customer with their first month of MRR, another customer who churns that day
-- (a start day stored long ago changes), and the January MRR of every customer still paying.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO customers (customer_id, name, segment, region, started_at, ended_at)
SELECT max(customer_id) + 1, 'Customer ' || (max(customer_id) + 1), 'Mid-Market', 'EMEA',
       timestamptz '2026-01-01 09:30:00+00', NULL
FROM customers;

UPDATE customers SET ended_at = timestamptz '2026-01-01 16:00:00+00'
WHERE customer_id = (SELECT min(customer_id) FROM customers
                     WHERE ended_at IS NULL AND started_at < timestamptz '2025-01-01');

INSERT INTO survey_responses (response_id, customer_id, responded_at, channel, nps_score, csat_score)
SELECT (SELECT max(response_id) FROM survey_responses) + k,
       (SELECT min(customer_id) FROM customers WHERE ended_at IS NULL) + k,
       timestamptz '2026-01-01 08:00:00+00' + k * interval '25 minutes',
       (ARRAY['email', 'in-app', 'phone'])[1 + k % 3],
       (ARRAY[10, 9, 7, 3, 8, 10, 6, 9, 9, 2, 10, 8])[k],
       (ARRAY[5, 5, 4, 2, 4, 5, 3, 4, 5, 1, 5, 4])[k]
FROM generate_series(1, 12) AS k;

INSERT INTO subscriptions_mrr (customer_id, month, mrr)
SELECT m.customer_id, date '2026-01-01', m.mrr
FROM subscriptions_mrr m JOIN customers c USING (customer_id)
WHERE m.month = date '2025-12-01' AND c.ended_at IS NULL
UNION ALL
SELECT max(customer_id), date '2026-01-01', 650.00 FROM customers;
COMMIT;
