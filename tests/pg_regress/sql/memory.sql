-- The Rust heap of growing aggregate states is charged to the aggregate's memory context, so
-- Postgres counts it: hash aggregation keeps within work_mem (times hash_mem_multiplier) by
-- spilling new groups to disk, and EXPLAIN ANALYZE reports the states' real memory.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
SET work_mem = '1MB';
SET hash_mem_multiplier = 2;
CREATE TABLE memory_rows AS
SELECT g, timestamptz '2000-01-01' + g * interval '1 minute' AS t, (date '2000-01-01' + g % 24 * interval '1 month')::date AS month
FROM generate_series(1, 200000) AS g;
ANALYZE memory_rows;

-- The plan of `query` run with EXPLAIN ANALYZE: batches, whether the peak memory of the hash
-- table stayed within 3 MB (work_mem × hash_mem_multiplier, plus the last group's growth).
CREATE FUNCTION pg_temp.hash_memory(query text, OUT batches_over_one boolean, OUT within_limit boolean)
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON) ' || query INTO plan;
    plan := plan->0->'Plan';
    IF plan->>'Node Type' <> 'Aggregate' OR plan->>'Strategy' <> 'Hashed' THEN
        RAISE EXCEPTION 'not a hash aggregate: %', plan;
    END IF;
    batches_over_one := (plan->>'HashAgg Batches')::int > 1;
    within_limit := (plan->>'Peak Memory Usage')::int < 3 * 1024;
END $$;

-- 200 groups of 1000 rows arriving one after another: each state holds tens of kB of Rust heap,
-- several MB in all.
SET enable_sort = off;
SELECT 'customer_agg' AS aggregate, * FROM pg_temp.hash_memory(
    'SELECT crm.customers(crm.customer_agg(t, t + interval ''1 day'')) FROM memory_rows GROUP BY g / 1000')
UNION ALL
SELECT 'cohort_agg', * FROM pg_temp.hash_memory(
    'SELECT crm.customers(crm.cohort_agg(g, t, ''day'')) FROM memory_rows GROUP BY g / 1000')
UNION ALL
SELECT 'mrr_agg', * FROM pg_temp.hash_memory(
    'SELECT crm.mrr_agg(g, month, 10) IS NULL FROM memory_rows GROUP BY g / 1000')
UNION ALL
SELECT 'service_agg', * FROM pg_temp.hash_memory(
    'SELECT crm.tickets(crm.service_agg(t, t + g % 97 * interval ''1 minute'', NULL, 1, false)) FROM memory_rows GROUP BY g / 1000')
UNION ALL
SELECT 'rfm_agg', * FROM pg_temp.hash_memory(
    'SELECT (crm.rfm_agg(timestamptz ''2000-01-01'' + g * interval ''1 day'', 1.5, ''2600-01-01'', ''day'')).frequency
     FROM memory_rows GROUP BY g / 1000');

-- Spilled or not, the answers are the ones a sort-based grouping gives.
CREATE TEMP TABLE hashed AS
SELECT g / 1000 AS k, crm.customer_agg(t, t + interval '1 day') AS customers,
       crm.cohort_agg(g, t, 'day') AS cohorts, crm.mrr_agg(g, month, 10) AS mrr
FROM memory_rows GROUP BY g / 1000;
SET enable_sort = on;
SET enable_hashagg = off;
SET work_mem = '64MB';
SELECT count(*) AS groups,
       count(*) FILTER (WHERE h.customers::text = s.customers::text AND h.cohorts::text = s.cohorts::text
                              AND h.mrr::text = s.mrr::text) AS equal
FROM hashed h
JOIN (SELECT g / 1000 AS k, crm.customer_agg(t, t + interval '1 day') AS customers,
             crm.cohort_agg(g, t, 'day') AS cohorts, crm.mrr_agg(g, month, 10) AS mrr
      FROM memory_rows GROUP BY g / 1000) s USING (k);
RESET enable_hashagg;
RESET work_mem;
DROP TABLE memory_rows;

-- A customer's periods past its 64-period window count against crm.max_state_memory: one
-- customer active on 20,000 days needs about 160 kB, more than a 64 kB bound.
CREATE TEMP TABLE stored_mrr AS
SELECT crm.mrr_agg(g, (date '2020-01-01' + g % 60 * interval '1 month')::date, 1.5) AS s FROM generate_series(1, 100000) g;
SET crm.max_state_memory = '64kB';
SELECT public.error_of($$SELECT crm.customers(crm.cohort_agg(1, timestamptz '2000-01-01' + g * interval '1 day', 'day'))
                         FROM generate_series(1, 20000) g$$);
SELECT public.error_of($$SELECT crm.customers(crm.rollup(s))
                         FROM (SELECT crm.cohort_agg(1, timestamptz '2000-01-01' + g * interval '1 day', 'day') AS s
                               FROM generate_series(1, 20000) g GROUP BY g / 1000) d$$);
-- A stored summary reads back from its text form whatever the bound (as from its binary form):
-- a dump restores under a lowered crm.max_state_memory; only aggregating checks the bound.
SELECT s::text::crm.mrr_summary OPERATOR(crm.=) s AS text_reads_back FROM stored_mrr;
RESET crm.max_state_memory;
SELECT crm.customers(crm.cohort_agg(1, timestamptz '2000-01-01' + g * interval '1 day', 'day'))
FROM generate_series(1, 20000) g;
