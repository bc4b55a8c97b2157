-- Shared set-up of the regression database: the extension and a helper that shows the
-- SQLSTATE and message of an error instead of aborting the script.
CREATE EXTENSION crm_metrics;
CREATE FUNCTION public.error_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- Settings that force a parallel plan whenever one is possible.
CREATE FUNCTION public.force_parallel() RETURNS void LANGUAGE sql AS $$
    SELECT set_config('max_parallel_workers_per_gather', '2', false),
           set_config('parallel_setup_cost', '0', false),
           set_config('parallel_tuple_cost', '0', false),
           set_config('min_parallel_table_scan_size', '0', false),
           set_config('parallel_leader_participation', 'off', false);
$$;
CREATE FUNCTION public.serial() RETURNS void LANGUAGE sql AS $$
    SELECT set_config('max_parallel_workers_per_gather', '0', false),
           set_config('parallel_leader_participation', 'on', false);
$$;
-- --- hostile input ---
-- The outcome of one query as one line: 'ok: ' and its rows as text (cut at 120 characters), or
-- its SQLSTATE and message. The hostile_<family> files run their cases through hostile(), which
-- keeps them in public.hostile_cases; hostile_total checks every outcome's class and that every
-- function of schema crm was called.
CREATE TABLE public.hostile_cases (
    family text, n integer, query text, outcome text, PRIMARY KEY (family, n));
CREATE FUNCTION public.outcome_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE 'SELECT string_agg(r::text, '' '') FROM (' || query || ') r' INTO result;
    RETURN 'ok: ' || coalesce(left(result, 120), '(no rows)');
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION public.hostile(family text, queries text[])
RETURNS TABLE (n integer, query text, outcome text) LANGUAGE plpgsql AS $$
BEGIN
    FOR n, query IN SELECT q.n::integer, q.query FROM unnest(queries) WITH ORDINALITY q(query, n) LOOP
        outcome := public.outcome_of(query);
        INSERT INTO public.hostile_cases VALUES (family, n, query, outcome);
        RETURN NEXT;
    END LOOP;
END $$;
-- --- end hostile input ---
