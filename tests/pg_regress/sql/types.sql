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
SELECT crm_internal.nps_summary_send('{"promoters":2,"passives":1,"detractors":0}');

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
-- An aggregate's DISTINCT sorts: the btree operator class (below) orders every type.
SELECT count(DISTINCT nps) AS nps, count(DISTINCT customers) AS customers, count(DISTINCT cohorts) AS cohorts FROM typed;
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
SELECT count(DISTINCT crm_internal.cohort_summary_hash(cohorts)) AS hashes,
       bool_and(crm_internal.nps_summary_hash_extended(nps, 0) & 4294967295 = crm_internal.nps_summary_hash(nps)::bigint & 4294967295) AS low_bits_agree
FROM typed;

-- Ordering: every type has a default btree operator class whose order is the binary forms'
-- byte by byte (a total order agreeing with =; it does not compare the metrics), so ORDER BY,
-- an aggregate's DISTINCT, sort-based grouping and merge joins work.
SELECT nps, count(*) AS n FROM typed GROUP BY nps ORDER BY nps;
SELECT nps FROM typed ORDER BY nps DESC LIMIT 1;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT cohorts, count(*) FROM typed GROUP BY cohorts;
SELECT count(*) AS groups, min(n), max(n) FROM (SELECT cohorts, count(*) AS n FROM typed GROUP BY cohorts) g;
SELECT count(*) AS groups FROM (SELECT customers FROM typed GROUP BY customers) g;
RESET enable_hashagg;
SET enable_hashjoin = off;
SET enable_nestloop = off;
SELECT count(*) AS merge_joined FROM typed a JOIN copied b ON a.customers OPERATOR(crm.=) b.customers;
RESET enable_hashjoin;
RESET enable_nestloop;
-- The operators agree with the support function and with each other.
SELECT bool_and((a.nps OPERATOR(crm.<) b.nps) = (crm_internal.nps_summary_cmp(a.nps, b.nps) < 0)
                AND (a.nps OPERATOR(crm.<=) b.nps) = (crm_internal.nps_summary_cmp(a.nps, b.nps) <= 0)
                AND (a.nps OPERATOR(crm.>) b.nps) = (crm_internal.nps_summary_cmp(a.nps, b.nps) > 0)
                AND (a.nps OPERATOR(crm.>=) b.nps) = (crm_internal.nps_summary_cmp(a.nps, b.nps) >= 0)
                AND (a.nps OPERATOR(crm.=) b.nps) = (crm_internal.nps_summary_cmp(a.nps, b.nps) = 0)
                AND crm_internal.nps_summary_cmp(a.nps, b.nps) = -crm_internal.nps_summary_cmp(b.nps, a.nps)
                AND (crm_internal.cohort_summary_cmp(a.cohorts, b.cohorts) = 0) = (a.cohorts OPERATOR(crm.=) b.cohorts)) AS consistent
FROM typed a CROSS JOIN typed b;
-- Catalog: every type with a default hash operator class has a default btree one, with the
-- same equality operator; every operator, operator class and family of schema crm has a
-- comment.
SELECT count(*) AS types_with_hash,
       count(*) FILTER (WHERE EXISTS (
           SELECT FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
           JOIN pg_amop o ON o.amopfamily = c.opcfamily AND o.amopstrategy = 3
           WHERE c.opcintype = t.oid AND c.opcdefault AND a.amname = 'btree'
             AND o.amopopr = (SELECT h.amopopr FROM pg_opclass hc JOIN pg_am ha ON ha.oid = hc.opcmethod
                              JOIN pg_amop h ON h.amopfamily = hc.opcfamily AND h.amopstrategy = 1
                              WHERE hc.opcintype = t.oid AND hc.opcdefault AND ha.amname = 'hash'))) AS with_btree
FROM pg_type t
WHERE t.typnamespace = 'crm'::regnamespace
  AND EXISTS (SELECT FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
              WHERE c.opcintype = t.oid AND c.opcdefault AND a.amname = 'hash');
SELECT t.oid::regtype AS without_btree
FROM pg_type t
WHERE t.typnamespace = 'crm'::regnamespace
  AND EXISTS (SELECT FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
              WHERE c.opcintype = t.oid AND c.opcdefault AND a.amname = 'hash')
  AND NOT EXISTS (SELECT FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                  WHERE c.opcintype = t.oid AND c.opcdefault AND a.amname = 'btree')
ORDER BY 1;
SELECT 'operator' AS kind, o.oid::regoperator::text AS without_comment FROM pg_operator o
WHERE o.oprnamespace = 'crm'::regnamespace AND obj_description(o.oid, 'pg_operator') IS NULL
UNION ALL
SELECT 'operator class', c.opcname::text FROM pg_opclass c
WHERE c.opcnamespace = 'crm'::regnamespace AND obj_description(c.oid, 'pg_opclass') IS NULL
UNION ALL
SELECT 'operator family', f.opfname::text FROM pg_opfamily f
WHERE f.opfnamespace = 'crm'::regnamespace AND obj_description(f.oid, 'pg_opfamily') IS NULL
UNION ALL
SELECT 'function', p.oid::regprocedure::text FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
ORDER BY 1, 2;

-- An aggregate declared with one of the in-place transitions and no final function returns the
-- state as it is (src/common/flat.rs): send, =, <>, hashing and ordering read it as the value
-- it holds, the same as the extension's own aggregate gives.
CREATE TABLE flat_rows (i int, amount numeric, won boolean, score int);
INSERT INTO flat_rows VALUES (1, 8.50, true, 9), (2, 0.25, false, 3), (3, 12, true, 10), (4, NULL, NULL, NULL);
CREATE AGGREGATE public.my_pipeline(numeric, timestamptz, timestamptz, boolean)
    (SFUNC = crm_internal.pipeline_agg_trans, STYPE = crm.pipeline_summary);
CREATE AGGREGATE public.my_share(boolean) (SFUNC = crm_internal.share_trans, STYPE = crm.share_state);
CREATE AGGREGATE public.my_nps(integer) (SFUNC = crm_internal.nps_agg_trans, STYPE = crm.nps_summary);
CREATE AGGREGATE public.my_csat(integer) (SFUNC = crm_internal.csat_trans, STYPE = crm.csat_state);
CREATE AGGREGATE public.my_retention(timestamptz, timestamptz, timestamptz, timestamptz)
    (SFUNC = crm_internal.retention_rate_trans, STYPE = crm.customer_period_state);
CREATE AGGREGATE public.my_mrr(bigint, date, numeric) (SFUNC = crm_internal.mrr_bigint_trans, STYPE = crm.mrr_summary);
CREATE TEMP TABLE flat_results AS
SELECT my_pipeline(amount, '2025-01-01', CASE WHEN i > 1 THEN timestamptz '2025-02-01' END, won) AS pipeline,
       crm.pipeline_agg(amount, '2025-01-01', CASE WHEN i > 1 THEN timestamptz '2025-02-01' END, won) AS pipeline_canonical,
       my_share(won) AS share,
       crm_internal.share_trans(crm_internal.share_trans(crm_internal.share_trans(NULL::crm.share_state, true), false), true) AS share_canonical,
       my_nps(score) AS nps, crm.nps_agg(score) AS nps_canonical,
       my_csat(score / 2) AS csat,
       crm_internal.csat_trans(crm_internal.csat_trans(crm_internal.csat_trans(NULL::crm.csat_state, 4), 1), 5) AS csat_canonical,
       my_retention(timestamptz '2024-12-01' + i * interval '1 day', NULL, '2025-01-01', '2025-02-01') AS retention,
       crm_internal.retention_rate_trans(crm_internal.retention_rate_trans(crm_internal.retention_rate_trans(crm_internal.retention_rate_trans(NULL::crm.customer_period_state,
           '2024-12-02', NULL, '2025-01-01', '2025-02-01'), '2024-12-03', NULL, '2025-01-01', '2025-02-01'),
           '2024-12-04', NULL, '2025-01-01', '2025-02-01'), '2024-12-05', NULL, '2025-01-01', '2025-02-01') AS retention_canonical,
       my_mrr(i, date '2025-01-01', amount) AS mrr, crm.mrr_agg(i, date '2025-01-01', amount) AS mrr_canonical
FROM flat_rows;
SELECT pipeline::text = pipeline_canonical::text AS same_text,
       pipeline OPERATOR(crm.=) pipeline_canonical AS pipeline_equal,
       pipeline OPERATOR(crm.<>) pipeline_canonical AS pipeline_differs,
       crm_internal.pipeline_summary_send(pipeline) = crm_internal.pipeline_summary_send(pipeline_canonical) AS pipeline_send,
       crm_internal.pipeline_summary_hash(pipeline) = crm_internal.pipeline_summary_hash(pipeline_canonical) AS pipeline_hash,
       crm_internal.pipeline_summary_cmp(pipeline, pipeline_canonical) AS pipeline_cmp,
       share OPERATOR(crm.=) share_canonical AS share_equal,
       crm_internal.share_state_send(share) = crm_internal.share_state_send(share_canonical) AS share_send,
       nps OPERATOR(crm.=) nps_canonical AS nps_equal,
       crm_internal.nps_summary_send(nps) = crm_internal.nps_summary_send(nps_canonical) AS nps_send,
       csat OPERATOR(crm.=) csat_canonical AS csat_equal,
       retention OPERATOR(crm.=) retention_canonical AS retention_equal,
       crm_internal.customer_period_state_send(retention) = crm_internal.customer_period_state_send(retention_canonical) AS retention_send,
       mrr OPERATOR(crm.=) mrr_canonical AS mrr_equal,
       crm_internal.mrr_summary_send(mrr) = crm_internal.mrr_summary_send(mrr_canonical) AS mrr_send
FROM flat_results;
-- UNION (hashed and sorted) and GROUP BY keep one value of each pair.
SELECT count(*) AS pipelines FROM (SELECT pipeline FROM flat_results UNION SELECT pipeline_canonical FROM flat_results) u;
SELECT count(*) AS shares FROM (SELECT share FROM flat_results UNION SELECT share_canonical FROM flat_results) u;
SELECT count(*) AS retention FROM (SELECT retention FROM flat_results UNION SELECT retention_canonical FROM flat_results) u;
SELECT count(DISTINCT s) AS distinct_pipelines
FROM (SELECT pipeline FROM flat_results UNION ALL SELECT pipeline_canonical FROM flat_results) u(s);
SET enable_hashagg = off;
SELECT count(*) AS pipelines FROM (SELECT pipeline FROM flat_results UNION SELECT pipeline_canonical FROM flat_results) u;
RESET enable_hashagg;
-- Binary COPY of the state as returned: what a canonical value sends, read back as equal.
DO $$ BEGIN
    EXECUTE format('COPY (SELECT pipeline, share, nps, csat, retention FROM flat_results) TO %L (FORMAT binary)',
                   '/tmp/crm_flat_' || pg_backend_pid() || '.bin');
END $$;
CREATE TABLE flat_copied (pipeline crm.pipeline_summary, share crm.share_state, nps crm.nps_summary,
                          csat crm.csat_state, retention crm.customer_period_state);
DO $$ BEGIN
    EXECUTE format('COPY flat_copied FROM %L (FORMAT binary)', '/tmp/crm_flat_' || pg_backend_pid() || '.bin');
END $$;
SELECT c.pipeline OPERATOR(crm.=) r.pipeline_canonical AS pipeline, c.share OPERATOR(crm.=) r.share_canonical AS share,
       c.nps OPERATOR(crm.=) r.nps_canonical AS nps, c.csat OPERATOR(crm.=) r.csat_canonical AS csat,
       c.retention OPERATOR(crm.=) r.retention_canonical AS retention,
       pg_column_size(c.pipeline) = pg_column_size(r.pipeline_canonical) AS stored_canonical
FROM flat_copied c, flat_results r;
DROP TABLE flat_copied, flat_results, flat_rows;
DROP AGGREGATE public.my_pipeline(numeric, timestamptz, timestamptz, boolean), public.my_share(boolean),
    public.my_nps(integer), public.my_csat(integer), public.my_retention(timestamptz, timestamptz, timestamptz, timestamptz),
    public.my_mrr(bigint, date, numeric);
