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
