-- crm_metrics 0.2.0 -> 0.3.0, run by `ALTER EXTENSION crm_metrics UPDATE` in each database after
-- the 0.3.0 build is installed (docs/versioning.md). cargo pgrx install/package (and so
-- scripts/install) copy it next to the generated crm_metrics--0.3.0.sql.
--
-- Plain DDL only: CREATE, CREATE OR REPLACE, ALTER, COMMENT, GRANT; no statement writes a system
-- catalog. It must turn the catalog of a 0.2.0 database into exactly the one a fresh CREATE
-- EXTENSION of 0.3.0 makes, without dropping anything users' objects depend on;
-- tests/lifecycle/run checks that, and that every 0.2.0 object answers identically with the
-- 0.3.0 library before this script runs.
--
-- One commented block per change, appended at the end. The script runs in one transaction with
-- search_path = crm (pg_catalog first, implicitly); every object is written schema-qualified.
\echo Use "ALTER EXTENSION crm_metrics UPDATE TO '0.3.0'" to load this file. \quit

-- Schema crm_internal: the support functions users never call.
CREATE SCHEMA crm_internal;
COMMENT ON SCHEMA crm_internal IS 'crm_metrics: support functions of the aggregates and types in schema crm (not called by users)';

-- Support functions move from crm to crm_internal: every function of the extension that
-- Postgres calls on behalf of an aggregate (transition, inverse, combine, final), a type (text
-- and binary input/output), an operator or an operator class (equality, ordering, hashing).
-- Aggregates, types, operators and views refer to them by OID: nothing that uses them changes.
DO $move_support$
DECLARE
    support regprocedure;
BEGIN
    FOR support IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'crm'::regnamespace
          AND p.oid IN (SELECT d.objid FROM pg_catalog.pg_depend d
                        WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.deptype = 'e'
                          AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'crm_metrics'))
          AND (EXISTS (SELECT FROM pg_catalog.pg_aggregate a
                       WHERE p.oid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
                                       a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn))
               OR EXISTS (SELECT FROM pg_catalog.pg_type t
                          WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
               OR EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oprcode = p.oid)
               OR EXISTS (SELECT FROM pg_catalog.pg_amproc a WHERE a.amproc = p.oid))
        ORDER BY 1
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET SCHEMA crm_internal', support);
    END LOOP;
END
$move_support$;
