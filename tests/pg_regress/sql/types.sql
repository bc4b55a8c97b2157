-- Summary types as SQL values: binary send/receive (COPY ... (FORMAT binary)), equality and
-- hashing (DISTINCT, GROUP BY, UNION, IN, hash joins).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE TABLE typed (k int, nps crm.nps_summary, customers crm.customer_summary, cohorts crm.cohort_summary);
INSERT INTO typed
SELECT g % 4, crm.nps_agg((g * 7) % 11), crm.customer_agg(timestamptz '2024-01-01' + g * interval '5 days', NULL),
       crm.cohort_agg(g, timestamptz '2024-01-01' + g * interval '9 days', 'month')
FROM generate_series(1, 40) g GROUP BY g % 4;
-- Two copies of every row: equal values.
INSERT INTO typed SELECT k + 10, nps, customers, cohorts FROM typed;

-- COPY ... (FORMAT binary) round trip through a server file.
DO $$ BEGIN
    EXECUTE format('COPY typed TO %L (FORMAT binary)', '/tmp/crm_types_' || pg_backend_pid() || '.bin');
END $$;
CREATE TABLE copied (LIKE typed);
DO $$ BEGIN
    EXECUTE format('COPY copied FROM %L (FORMAT binary)', '/tmp/crm_types_' || pg_backend_pid() || '.bin');
END $$;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE c.nps::text = t.nps::text AND c.customers::text = t.customers::text
                        AND c.cohorts::text = t.cohorts::text) AS same_text
FROM typed t JOIN copied c USING (k);
-- Receive validates: bytes that are not a binary form are 22P03.
DO $$ BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', '\x00ff', '/tmp/crm_types_' || pg_backend_pid() || '.bad');
END $$;
CREATE TABLE bad (s crm.nps_summary);
SELECT error_of(format('COPY bad FROM %L (FORMAT binary)', '/tmp/crm_types_' || pg_backend_pid() || '.bad'));
CREATE TABLE bad_customers (s crm.customer_summary);
SELECT error_of(format('COPY bad_customers FROM %L (FORMAT binary)', '/tmp/crm_types_' || pg_backend_pid() || '.bad'));
CREATE TABLE bad_cohorts (s crm.cohort_summary);
SELECT error_of(format('COPY bad_cohorts FROM %L (FORMAT binary)', '/tmp/crm_types_' || pg_backend_pid() || '.bad'));
-- The send function gives the stored form, which receive reads back.
SELECT crm.nps_summary_send('{"promoters":2,"passives":1,"detractors":0}');

-- Equality: equal binary forms, whatever order the rows arrived in.
SELECT crm.nps_agg(s) OPERATOR(crm.=) (SELECT crm.nps_agg(s ORDER BY s DESC) FROM generate_series(0, 10) s) AS nps_equal,
       crm.nps_agg(s) OPERATOR(crm.<>) '{"promoters":2,"passives":2,"detractors":7}' AS nps_differs
FROM generate_series(0, 10) s;
SELECT (SELECT crm.customer_agg(s, e) FROM (VALUES (timestamptz '2025-01-01', NULL::timestamptz), ('2025-02-01', '2025-03-01')) v(s, e))
       OPERATOR(crm.=)
       (SELECT crm.customer_agg(s, e) FROM (VALUES (timestamptz '2025-02-01', timestamptz '2025-03-01'), ('2025-01-01', NULL)) v(s, e))
       AS customers_equal;
SET search_path = public, crm;
SELECT count(*) FILTER (WHERE a.nps = b.nps) AS nps_equal_pairs,
       count(*) FILTER (WHERE a.customers = b.customers) AS customers_equal_pairs,
       count(*) FILTER (WHERE a.cohorts <> b.cohorts) AS cohorts_different_pairs
FROM typed a CROSS JOIN typed b;
-- DISTINCT, GROUP BY, UNION, IN, hash join: each distinct value once.
SELECT count(*) AS nps FROM (SELECT DISTINCT nps FROM typed) d;
-- Summaries have no order, so an aggregate's DISTINCT (which sorts) is not available.
SELECT error_of('SELECT count(DISTINCT nps) FROM typed');
SELECT count(*) FROM (SELECT DISTINCT nps, customers, cohorts FROM typed) d;
SELECT count(*), min(n) FROM (SELECT cohorts, count(*) AS n FROM typed GROUP BY cohorts) g;
SELECT count(*) FROM (SELECT customers FROM typed UNION SELECT customers FROM copied) u;
SELECT count(*) FROM typed WHERE nps IN (SELECT nps FROM typed WHERE k = 1);
SELECT count(*) FROM typed WHERE cohorts NOT IN (SELECT cohorts FROM typed WHERE k = 1);
SET enable_mergejoin = off;
SET enable_nestloop = off;
SELECT count(*) FROM typed a JOIN copied b ON a.customers = b.customers;
RESET enable_mergejoin;
RESET enable_nestloop;
RESET search_path;
-- Hashing follows equality.
SELECT count(DISTINCT crm.cohort_summary_hash(cohorts)) AS hashes,
       bool_and(crm.nps_summary_hash_extended(nps, 0) & 4294967295 = crm.nps_summary_hash(nps)::bigint & 4294967295) AS low_bits_agree
FROM typed;
