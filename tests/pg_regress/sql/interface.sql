-- Schema crm holds what users call, crm_internal the support functions Postgres calls for the
-- aggregates, types and operators of crm (and the planner for its functions).
WITH support AS (
    SELECT p.oid FROM pg_proc p
    WHERE EXISTS (SELECT FROM pg_aggregate a
                  WHERE p.oid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
                                  a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn))
       OR EXISTS (SELECT FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
       OR EXISTS (SELECT FROM pg_operator o WHERE o.oprcode = p.oid)
       OR EXISTS (SELECT FROM pg_amproc a WHERE a.amproc = p.oid)
       OR EXISTS (SELECT FROM pg_proc f WHERE f.prosupport = p.oid)
)
-- A support function in crm, or a function in crm_internal nothing calls: none.
SELECT 'support function in crm' AS misplaced, p.oid::regprocedure AS function
FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace AND p.oid IN (SELECT oid FROM support)
UNION ALL
SELECT 'not a support function, in crm_internal', p.oid::regprocedure
FROM pg_proc p WHERE p.pronamespace = 'crm_internal'::regnamespace AND p.oid NOT IN (SELECT oid FROM support)
ORDER BY 1, 2;

-- What \df crm.* lists: functions and aggregates users call, by kind.
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'function' END AS kind, count(*)
FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace
GROUP BY 1 ORDER BY 1;

-- No crm function's name says it is a support function.
SELECT p.oid::regprocedure AS support_name_in_crm
FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace
  AND p.proname ~ '_(trans|inverse|combine|final|serial|deserial|in|out|recv|send|hash|hash_extended|cmp|eq|ne|lt|le|gt|ge|wrapper)$'
ORDER BY 1;

-- Every aggregate whose state grows with its input merges partial states through a combine
-- function the planner costs by the rows aggregated (crm_internal.merged_state_cost), so that
-- turning parallel query on never picks a plan whose merging costs more than the scan saves:
-- the growing states, each with the number of aggregates over it and those without the cost.
SELECT a.aggtranstype::regtype AS growing_state, count(*) AS aggregates,
       count(*) FILTER (WHERE c.prosupport <> 'crm_internal.merged_state_cost'::regproc) AS combine_without_cost
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_proc c ON c.oid = a.aggcombinefn
WHERE p.pronamespace = 'crm'::regnamespace
  AND a.aggtranstype IN ('crm.customer_summary'::regtype, 'crm.cohort_summary'::regtype, 'crm.mrr_summary'::regtype,
                         'crm.service_summary'::regtype, 'crm.funnel_summary'::regtype, 'crm.purchase_days'::regtype)
GROUP BY 1 ORDER BY 1::text;

-- Users need no privilege on crm_internal: a role granted only USAGE on crm runs the
-- aggregates, reads and writes the types and compares them, and cannot name a support function.
CREATE ROLE crm_interface_reader;
GRANT USAGE ON SCHEMA crm TO crm_interface_reader;
SET ROLE crm_interface_reader;
SELECT crm.nps(s) AS nps, crm.nps_agg(s) OPERATOR(crm.=) crm.nps_agg(s) AS equal,
       crm.nps_agg(s)::text::crm.nps_summary OPERATOR(crm.=) crm.nps_agg(s) AS text_round_trip
FROM (VALUES (10), (9), (3)) AS v(s);
SELECT crm_internal.nps_final('{"promoters":1,"passives":0,"detractors":0}'::crm.nps_summary);
RESET ROLE;
REVOKE USAGE ON SCHEMA crm FROM crm_interface_reader;
DROP ROLE crm_interface_reader;
