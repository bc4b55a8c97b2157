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
GRANT USAGE ON SCHEMA crm_internal TO PUBLIC;
