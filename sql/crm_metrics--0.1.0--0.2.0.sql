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

-- BEGIN clvperf (issue 7)
-- crm.bgnbd_fit straight from purchases (bigint, text and uuid customer ids), and crm.rfm_agg's
-- SSPACE (CREATE AGGREGATE cannot be repeated over views that use the aggregate, so the
-- catalog row is updated in place).
CREATE FUNCTION crm.bgnbd_purchases_combine("first" internal, "second" internal) RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgnbd_purchases_combine_wrapper';
CREATE FUNCTION crm.bgnbd_purchases_deserialize("bytes" bytea, "_unused" internal) RETURNS internal
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgnbd_purchases_deserialize_wrapper';
CREATE FUNCTION crm.bgnbd_purchases_final("state" internal) RETURNS crm.bgnbd_model
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgnbd_purchases_final_wrapper';
CREATE FUNCTION crm.bgnbd_purchases_serialize("state" internal) RETURNS bytea
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgnbd_purchases_serialize_wrapper';
CREATE FUNCTION crm.bgnbd_fit_purchases_bigint_trans(internal, bigint, timestamptz, timestamptz, text)
    RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_bigint_trans';
CREATE FUNCTION crm.bgnbd_fit_purchases_text_trans(internal, text, timestamptz, timestamptz, text)
    RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_text_trans';
CREATE FUNCTION crm.bgnbd_fit_purchases_uuid_trans(internal, uuid, timestamptz, timestamptz, text)
    RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_uuid_trans';
CREATE AGGREGATE crm.bgnbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm.bgnbd_fit_purchases_bigint_trans,
    STYPE = internal,
    FINALFUNC = crm.bgnbd_purchases_final,
    COMBINEFUNC = crm.bgnbd_purchases_combine,
    SERIALFUNC = crm.bgnbd_purchases_serialize,
    DESERIALFUNC = crm.bgnbd_purchases_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm.bgnbd_fit_purchases_text_trans,
    STYPE = internal,
    FINALFUNC = crm.bgnbd_purchases_final,
    COMBINEFUNC = crm.bgnbd_purchases_combine,
    SERIALFUNC = crm.bgnbd_purchases_serialize,
    DESERIALFUNC = crm.bgnbd_purchases_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm.bgnbd_fit_purchases_uuid_trans,
    STYPE = internal,
    FINALFUNC = crm.bgnbd_purchases_final,
    COMBINEFUNC = crm.bgnbd_purchases_combine,
    SERIALFUNC = crm.bgnbd_purchases_serialize,
    DESERIALFUNC = crm.bgnbd_purchases_deserialize,
    PARALLEL = SAFE
);
UPDATE pg_catalog.pg_aggregate SET aggtransspace = 256
    WHERE aggfnoid = 'crm.rfm_agg(timestamptz, numeric, timestamptz, text)'::pg_catalog.regprocedure;
COMMENT ON AGGREGATE crm.bgnbd_fit(bigint, timestamptz, timestamptz, text) IS
    'Maximum-likelihood BG/NBD fit straight from purchases (one row per purchase, bigint customer ids): the same model as crm.rfm_agg per customer followed by crm.bgnbd_fit, in one aggregate. Example: SELECT crm.bgnbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON FUNCTION crm.bgnbd_fit_purchases_bigint_trans(internal, bigint, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(bigint, timestamptz, timestamptz, text): transition.';
COMMENT ON AGGREGATE crm.bgnbd_fit(text, timestamptz, timestamptz, text) IS
    'Maximum-likelihood BG/NBD fit straight from purchases (one row per purchase, text customer ids): the same model as crm.rfm_agg per customer followed by crm.bgnbd_fit, in one aggregate. Example: SELECT crm.bgnbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON FUNCTION crm.bgnbd_fit_purchases_text_trans(internal, text, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(text, timestamptz, timestamptz, text): transition.';
COMMENT ON AGGREGATE crm.bgnbd_fit(uuid, timestamptz, timestamptz, text) IS
    'Maximum-likelihood BG/NBD fit straight from purchases (one row per purchase, uuid customer ids): the same model as crm.rfm_agg per customer followed by crm.bgnbd_fit, in one aggregate. Example: SELECT crm.bgnbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON FUNCTION crm.bgnbd_fit_purchases_uuid_trans(internal, uuid, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(uuid, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.bgnbd_purchases_combine(internal, internal) IS 'Support function of the purchases form of aggregate crm.bgnbd_fit: combine partial states (parallel query).';
COMMENT ON FUNCTION crm.bgnbd_purchases_serialize(internal) IS 'Support function of the purchases form of aggregate crm.bgnbd_fit: serialize a partial state.';
COMMENT ON FUNCTION crm.bgnbd_purchases_deserialize(bytea, internal) IS 'Support function of the purchases form of aggregate crm.bgnbd_fit: deserialize a partial state.';
COMMENT ON FUNCTION crm.bgnbd_purchases_final(internal) IS 'Support function of the purchases form of aggregate crm.bgnbd_fit: customers from their purchase days, then the maximum-likelihood fit.';
-- END clvperf (issue 7)
