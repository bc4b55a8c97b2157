-- crm_metrics 0.1.0 -> 0.2.0, run by `ALTER EXTENSION crm_metrics UPDATE` in each database after
-- the 0.2.0 build is installed (docs/versioning.md). cargo pgrx install/package (and so
-- scripts/install) copy it next to the generated crm_metrics--0.2.0.sql.
--
-- Hand-written and reviewed: it must turn the catalog of a 0.1.0 database into exactly the one
-- a fresh CREATE EXTENSION of 0.2.0 makes, without dropping anything users' views, materialized
-- views, tables or indexes depend on. tests/lifecycle/run checks that (it prints every catalog
-- difference left) and that every stored summary, model and calendar still reads.
--
-- One block per change set, each between "-- BEGIN <branch> (issue N)" and "-- END <branch>
-- (issue N)" lines; a branch that adds, changes or drops an SQL object adds its statements in
-- its own block. The script runs in one transaction with search_path = crm (pg_catalog first,
-- implicitly); write every object schema-qualified all the same.
\echo Use "ALTER EXTENSION crm_metrics UPDATE TO '0.2.0'" to load this file. \quit

-- BEGIN lifecycle (issue 9)
-- The release becomes 0.2.0 (Cargo.toml). The lifecycle work (this script, the upgrade and
-- dump/restore test, docs/versioning.md) changes no SQL object and no binary form of 0.1.0:
-- nothing to run here.
-- END lifecycle (issue 9)
