-- crm_metrics 0.1.0 -> 0.2.0, run by `ALTER EXTENSION crm_metrics UPDATE` in each database after
-- the 0.2.0 build is installed (docs/versioning.md). cargo pgrx install/package (and so
-- scripts/install) copy it next to the generated crm_metrics--0.2.0.sql.
--
-- Hand-written and reviewed: it must turn the catalog of a 0.1.0 database into exactly the one
-- a fresh CREATE EXTENSION of 0.2.0 makes, without dropping anything users' views, materialized
-- views, tables or indexes depend on. tests/lifecycle/run checks that (it prints every catalog
-- difference left) and that every stored summary, model and calendar still reads.
--
-- One commented block per change: a branch that adds, changes or drops an SQL object adds its
-- statements in a block of its own at the end (history lives in git). The script runs in one
-- transaction with search_path = crm (pg_catalog first,
-- implicitly); write every object schema-qualified all the same.
\echo Use "ALTER EXTENSION crm_metrics UPDATE TO '0.2.0'" to load this file. \quit

-- The release becomes 0.2.0 (Cargo.toml). The lifecycle work (this script, the upgrade and
-- dump/restore test, docs/versioning.md) changes no SQL object and no binary form of 0.1.0:
-- nothing to run here.

-- crm.bgnbd_fit straight from purchases (bigint, text and uuid customer ids), and crm.rfm_agg's
-- SSPACE (CREATE AGGREGATE cannot be repeated over views that use the aggregate, so the
-- catalog row is updated in place).
-- (The four internal-state support functions below are replaced, and dropped, further down in this
-- script before any query can call them; their pgrx entry points no
-- longer exist, so they name entry points of the build that do.)
CREATE FUNCTION crm.bgnbd_purchases_combine("first" internal, "second" internal) RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_purchases_combine';
CREATE FUNCTION crm.bgnbd_purchases_deserialize("bytes" bytea, "_unused" internal) RETURNS internal
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_purchases_combine';
CREATE FUNCTION crm.bgnbd_purchases_final("state" internal) RETURNS crm.bgnbd_model
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_purchases_final';
CREATE FUNCTION crm.bgnbd_purchases_serialize("state" internal) RETURNS bytea
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_purchases_final';
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

-- Transition states Citus can ship: the survey aggregates, the share-of-true aggregates and the
-- one-step crm.sla_attainment and crm.fcr_rate get a real transition type (crm.nps_summary,
-- crm.csat_state, crm.share_state) instead of internal, with
-- combine functions over that type and no serialize/deserialize functions. Existing views use
-- these aggregates, so they are not dropped: their pg_aggregate rows and dependencies are
-- changed in place, then the support functions no longer used are dropped. The moving
-- aggregates (window frames) keep their internal state and functions.

-- New state types, as a fresh CREATE EXTENSION makes them (pgrx's shell type, text input and
-- output, then the base type).
CREATE TYPE crm.csat_state;
CREATE FUNCTION crm."csat_state_in"("input" cstring) RETURNS crm.csat_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'csat_state_in_wrapper';
CREATE FUNCTION crm."csat_state_out"("input" crm.csat_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'csat_state_out_wrapper';
CREATE TYPE crm.csat_state (
    INTERNALLENGTH = variable,
    INPUT = crm.csat_state_in,
    OUTPUT = crm.csat_state_out,
    STORAGE = extended
);
CREATE TYPE crm.share_state;
CREATE FUNCTION crm."share_state_in"("input" cstring) RETURNS crm.share_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'share_state_in_wrapper';
CREATE FUNCTION crm."share_state_out"("input" crm.share_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'share_state_out_wrapper';
CREATE TYPE crm.share_state (
    INTERNALLENGTH = variable,
    INPUT = crm.share_state_in,
    OUTPUT = crm.share_state_out,
    STORAGE = extended
);

-- The upgrade's two repeated steps, as functions this block and the later ones call (dropped at
-- the end of the script): the support objects of a new state type (what sql/summary_types.sql
-- gives every type of the extension: binary receive/send, = and <>, the default hash operator
-- class), and an aggregate changed in place.
CREATE FUNCTION crm.upgrade_type_support(type_names name[]) RETURNS void
LANGUAGE plpgsql AS $upgrade_type_support$
DECLARE
    type_name name;
BEGIN
    FOREACH type_name IN ARRAY type_names LOOP
        EXECUTE format($sql$
            CREATE FUNCTION crm.%1$I(internal) RETURNS crm.%3$I
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', %4$L;
            CREATE FUNCTION crm.%2$I(crm.%3$I) RETURNS bytea
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_send';
            ALTER TYPE crm.%3$I SET (RECEIVE = crm.%1$I, SEND = crm.%2$I);
            COMMENT ON FUNCTION crm.%1$I(internal) IS
                'Binary receive function of crm.%3$s: reads and validates the binary form';
            COMMENT ON FUNCTION crm.%2$I(crm.%3$I) IS
                'Binary send function of crm.%3$s: the stored binary form';
            $sql$, type_name || '_recv', type_name || '_send', type_name,
            'crm_' || type_name || '_recv');
        EXECUTE format($sql$
            CREATE FUNCTION crm.%1$I(crm.%4$I, crm.%4$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_eq';
            CREATE FUNCTION crm.%2$I(crm.%4$I, crm.%4$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ne';
            CREATE FUNCTION crm.%3$I(crm.%4$I) RETURNS integer
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash';
            CREATE FUNCTION crm.%5$I(crm.%4$I, bigint) RETURNS bigint
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash_extended';
            CREATE OPERATOR crm.= (
                LEFTARG = crm.%4$I, RIGHTARG = crm.%4$I, FUNCTION = crm.%1$I,
                COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),
                RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
            );
            CREATE OPERATOR crm.<> (
                LEFTARG = crm.%4$I, RIGHTARG = crm.%4$I, FUNCTION = crm.%2$I,
                COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),
                RESTRICT = neqsel, JOIN = neqjoinsel
            );
            CREATE OPERATOR CLASS crm.%6$I DEFAULT FOR TYPE crm.%4$I USING hash AS
                OPERATOR 1 crm.= (crm.%4$I, crm.%4$I),
                FUNCTION 1 crm.%3$I(crm.%4$I),
                FUNCTION 2 crm.%5$I(crm.%4$I, bigint);
            COMMENT ON FUNCTION crm.%1$I(crm.%4$I, crm.%4$I) IS
                'Whether two crm.%4$s values have the same binary form (operator =)';
            COMMENT ON FUNCTION crm.%2$I(crm.%4$I, crm.%4$I) IS
                'Whether two crm.%4$s values have different binary forms (operator <>)';
            COMMENT ON FUNCTION crm.%3$I(crm.%4$I) IS
                'Hash of the binary form of a crm.%4$s (hash operator class)';
            COMMENT ON FUNCTION crm.%5$I(crm.%4$I, bigint) IS
                'Seeded 64-bit hash of the binary form of a crm.%4$s (hash operator class)';
            COMMENT ON OPERATOR crm.= (crm.%4$I, crm.%4$I) IS
                'Equal crm.%4$s values: the same binary form';
            COMMENT ON OPERATOR crm.<> (crm.%4$I, crm.%4$I) IS
                'Different crm.%4$s values: different binary forms';
            COMMENT ON OPERATOR CLASS crm.%6$I USING hash IS
                'Default hash operator class of crm.%4$s (DISTINCT, GROUP BY, UNION, IN, hash joins)';
            COMMENT ON OPERATOR FAMILY crm.%6$I USING hash IS
                'Hash operator family of crm.%4$s';
            $sql$, type_name || '_eq', type_name || '_ne', type_name || '_hash', type_name,
            type_name || '_hash_extended', type_name || '_hash_ops');
    END LOOP;
END
$upgrade_type_support$;
SELECT crm.upgrade_type_support(ARRAY['csat_state', 'share_state']);

-- New support functions (as in sql/survey.sql and sql/ratios.sql).
CREATE FUNCTION crm.nps_trans(crm.nps_summary, integer) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_state_trans';
CREATE FUNCTION crm.nps_agg_trans(crm.nps_summary, integer) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_agg_state_trans';
CREATE FUNCTION crm.nps_rollup_trans(crm.nps_summary, crm.nps_summary) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_rollup_state_trans';
CREATE FUNCTION crm.nps_combine(crm.nps_summary, crm.nps_summary) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_state_combine';
CREATE FUNCTION crm.nps_final(crm.nps_summary) RETURNS double precision
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_state_final';
CREATE FUNCTION crm.nps_agg_final(crm.nps_summary) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_agg_state_final';
CREATE FUNCTION crm.csat_trans(crm.csat_state, integer) RETURNS crm.csat_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_state_trans';
CREATE FUNCTION crm.csat_threshold_trans(crm.csat_state, integer, integer) RETURNS crm.csat_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_threshold_state_trans';
CREATE FUNCTION crm.csat_combine(crm.csat_state, crm.csat_state) RETURNS crm.csat_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_state_combine';
CREATE FUNCTION crm.csat_final(crm.csat_state) RETURNS double precision
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_state_final';
CREATE FUNCTION crm.share_trans(crm.share_state, boolean) RETURNS crm.share_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_share_state_trans';
CREATE FUNCTION crm.share_combine(crm.share_state, crm.share_state) RETURNS crm.share_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_share_state_combine';
CREATE FUNCTION crm.share_final(crm.share_state) RETURNS double precision
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_share_state_final';
CREATE FUNCTION crm.sla_trans(crm.share_state, timestamptz, timestamptz, interval)
    RETURNS crm.share_state IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sla_state_trans';
CREATE FUNCTION crm.sla_calendar_trans(crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar)
    RETURNS crm.share_state IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sla_calendar_state_trans';
CREATE FUNCTION crm.fcr_trans(crm.share_state, integer, boolean, boolean)
    RETURNS crm.share_state IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_fcr_state_trans';
CREATE FUNCTION crm.service_share_combine(crm.share_state, crm.share_state)
    RETURNS crm.share_state IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_share_state_combine';
CREATE FUNCTION crm.service_share_final(crm.share_state)
    RETURNS double precision IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_share_state_final';

-- The aggregates, changed in place: transition, state type, final and combine functions; no
-- serialize/deserialize functions; no initial value (the state is NULL until a usable row).
CREATE FUNCTION crm.upgrade_aggregate_state(aggregate text, transfn text, transtype text,
                                          finalfn text, combinefn text, transspace integer)
RETURNS void LANGUAGE plpgsql AS $upgrade_aggregate_state$
BEGIN
    UPDATE pg_catalog.pg_aggregate SET
        aggtransfn = transfn::regprocedure::oid::regproc,
        aggtranstype = transtype::regtype,
        aggfinalfn = finalfn::regprocedure::oid::regproc,
        aggcombinefn = combinefn::regprocedure::oid::regproc,
        aggserialfn = 0,
        aggdeserialfn = 0,
        aggfinalextra = false,
        aggfinalmodify = 'r',
        aggtransspace = transspace,
        agginitval = NULL
    WHERE aggfnoid = aggregate::regprocedure;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'crm_metrics upgrade: aggregate % not found', aggregate;
    END IF;
    -- Dependencies as CREATE AGGREGATE records them: one per distinct support function
    -- (none on the transition type: a fresh install of Postgres 15 records none).
    DELETE FROM pg_catalog.pg_depend
    WHERE classid = 'pg_catalog.pg_proc'::regclass
      AND objid = aggregate::regprocedure
      AND refclassid = 'pg_catalog.pg_proc'::regclass
      AND deptype = 'n';
    INSERT INTO pg_catalog.pg_depend
        (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
    SELECT DISTINCT 'pg_catalog.pg_proc'::regclass, a.aggfnoid, 0,
           'pg_catalog.pg_proc'::regclass, f.f, 0, 'n'::"char"
    FROM pg_catalog.pg_aggregate a,
         unnest(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
                      a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn,
                      a.aggmfinalfn]::oid[]) AS f(f)
    WHERE a.aggfnoid = aggregate::regprocedure AND f.f <> 0;
END
$upgrade_aggregate_state$;
SELECT crm.upgrade_aggregate_state(c.aggregate, c.transfn, c.transtype, c.finalfn, c.combinefn,
                                     c.transspace)
FROM (VALUES
            ('crm.nps(integer)', 'crm.nps_trans(crm.nps_summary,integer)', 'crm.nps_summary',
             'crm.nps_final(crm.nps_summary)', 'crm.nps_combine(crm.nps_summary,crm.nps_summary)', 0),
            ('crm.nps_agg(integer)', 'crm.nps_agg_trans(crm.nps_summary,integer)', 'crm.nps_summary',
             'crm.nps_agg_final(crm.nps_summary)', 'crm.nps_combine(crm.nps_summary,crm.nps_summary)', 0),
            ('crm.rollup(crm.nps_summary)', 'crm.nps_rollup_trans(crm.nps_summary,crm.nps_summary)',
             'crm.nps_summary', 'crm.nps_agg_final(crm.nps_summary)',
             'crm.nps_combine(crm.nps_summary,crm.nps_summary)', 0),
            ('crm.csat(integer)', 'crm.csat_trans(crm.csat_state,integer)', 'crm.csat_state',
             'crm.csat_final(crm.csat_state)', 'crm.csat_combine(crm.csat_state,crm.csat_state)', 0),
            ('crm.csat(integer,integer)', 'crm.csat_threshold_trans(crm.csat_state,integer,integer)',
             'crm.csat_state', 'crm.csat_final(crm.csat_state)',
             'crm.csat_combine(crm.csat_state,crm.csat_state)', 0),
            ('crm.win_rate(boolean)', 'crm.share_trans(crm.share_state,boolean)', 'crm.share_state',
             'crm.share_final(crm.share_state)', 'crm.share_combine(crm.share_state,crm.share_state)', 0),
            ('crm.renewal_rate(boolean)', 'crm.share_trans(crm.share_state,boolean)', 'crm.share_state',
             'crm.share_final(crm.share_state)', 'crm.share_combine(crm.share_state,crm.share_state)', 0),
            ('crm.sla_attainment(timestamptz,timestamptz,interval)',
             'crm.sla_trans(crm.share_state,timestamptz,timestamptz,interval)', 'crm.share_state',
             'crm.service_share_final(crm.share_state)',
             'crm.service_share_combine(crm.share_state,crm.share_state)', 0),
            ('crm.sla_attainment(timestamptz,timestamptz,interval,crm.business_calendar)',
             'crm.sla_calendar_trans(crm.share_state,timestamptz,timestamptz,interval,crm.business_calendar)',
             'crm.share_state', 'crm.service_share_final(crm.share_state)',
             'crm.service_share_combine(crm.share_state,crm.share_state)', 0),
            ('crm.fcr_rate(integer,boolean,boolean)',
             'crm.fcr_trans(crm.share_state,integer,boolean,boolean)', 'crm.share_state',
             'crm.service_share_final(crm.share_state)',
             'crm.service_share_combine(crm.share_state,crm.share_state)', 0)
) AS c(aggregate, transfn, transtype, finalfn, combinefn, transspace);

-- Support functions of 0.1.0 no aggregate uses any more.
DROP FUNCTION crm.nps_combine(internal, internal);
DROP FUNCTION crm.nps_serialize(internal);
DROP FUNCTION crm.nps_deserialize(bytea, internal);
DROP FUNCTION crm.csat_combine(internal, internal);
DROP FUNCTION crm.csat_serialize(internal);
DROP FUNCTION crm.csat_deserialize(bytea, internal);
DROP FUNCTION crm.share_combine(internal, internal);
DROP FUNCTION crm.share_serialize(internal);
DROP FUNCTION crm.share_deserialize(bytea, internal);
DROP FUNCTION crm.service_share_combine(internal, internal);
DROP FUNCTION crm.service_share_serialize(internal);
DROP FUNCTION crm.service_share_deserialize(bytea, internal);

-- Comments (as in sql/survey.sql, sql/ratios.sql and sql/service.sql).
COMMENT ON FUNCTION crm.nps_trans(internal, integer) IS 'Support function of aggregate crm.nps(integer): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.nps_agg_trans(internal, integer) IS 'Support function of aggregate crm.nps_agg(integer): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.nps_rollup_trans(internal, crm.nps_summary) IS 'Support function of aggregate crm.rollup(crm.nps_summary): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.nps_final(internal) IS 'Support function of aggregate crm.nps(integer): moving-aggregate final NPS (window frames).';
COMMENT ON FUNCTION crm.nps_agg_final(internal) IS 'Support function of crm.nps_agg and crm.rollup(crm.nps_summary): moving-aggregate final summary (window frames).';
COMMENT ON FUNCTION crm.csat_trans(internal, integer) IS 'Support function of aggregate crm.csat(integer): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.csat_threshold_trans(internal, integer, integer) IS 'Support function of aggregate crm.csat(integer, integer): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.csat_final(internal) IS 'Support function of the CSAT aggregates: moving-aggregate final satisfied share (window frames).';
COMMENT ON FUNCTION crm.share_trans(internal, boolean) IS 'Support function of crm.win_rate(boolean) and crm.renewal_rate(boolean): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.share_final(internal) IS 'Support function of crm.win_rate(boolean) and crm.renewal_rate(boolean): moving-aggregate final share (window frames).';
COMMENT ON TYPE crm.csat_state IS
    'Transition state of crm.csat: counts of answers and of satisfied answers; text form {"satisfied":3,"responses":4} (Citus ships partial states in this form).';
COMMENT ON FUNCTION crm.csat_state_in(cstring) IS 'Text input of crm.csat_state.';
COMMENT ON FUNCTION crm.csat_state_out(crm.csat_state) IS 'Text output of crm.csat_state.';
COMMENT ON FUNCTION crm.nps_trans(crm.nps_summary, integer) IS 'Support function of aggregate crm.nps(integer): transition (state crm.nps_summary, changed in place).';
COMMENT ON FUNCTION crm.nps_agg_trans(crm.nps_summary, integer) IS 'Support function of aggregate crm.nps_agg(integer): transition (state crm.nps_summary, changed in place).';
COMMENT ON FUNCTION crm.nps_rollup_trans(crm.nps_summary, crm.nps_summary) IS 'Support function of aggregate crm.rollup(crm.nps_summary): transition (merges one summary into the state).';
COMMENT ON FUNCTION crm.nps_combine(crm.nps_summary, crm.nps_summary) IS 'Support function of the NPS aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.nps_final(crm.nps_summary) IS 'Support function of aggregate crm.nps(integer): final NPS.';
COMMENT ON FUNCTION crm.nps_agg_final(crm.nps_summary) IS 'Support function of crm.nps_agg and crm.rollup(crm.nps_summary): final summary (canonical stored form).';
COMMENT ON FUNCTION crm.csat_trans(crm.csat_state, integer) IS 'Support function of aggregate crm.csat(integer): transition (state crm.csat_state, changed in place).';
COMMENT ON FUNCTION crm.csat_threshold_trans(crm.csat_state, integer, integer) IS 'Support function of aggregate crm.csat(integer, integer): transition (state crm.csat_state, changed in place).';
COMMENT ON FUNCTION crm.csat_combine(crm.csat_state, crm.csat_state) IS 'Support function of the CSAT aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.csat_final(crm.csat_state) IS 'Support function of the CSAT aggregates: final satisfied share.';
COMMENT ON TYPE crm.share_state IS
    'Transition state of crm.win_rate(boolean) and crm.renewal_rate(boolean): true rows and non-NULL rows; text form {"true_rows":3,"rows":5} (Citus ships partial states in this form).';
COMMENT ON FUNCTION crm.share_state_in(cstring) IS 'Text input of crm.share_state.';
COMMENT ON FUNCTION crm.share_state_out(crm.share_state) IS 'Text output of crm.share_state.';
COMMENT ON FUNCTION crm.share_trans(crm.share_state, boolean) IS 'Support function of crm.win_rate(boolean) and crm.renewal_rate(boolean): transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm.share_combine(crm.share_state, crm.share_state) IS 'Support function of crm.win_rate(boolean) and crm.renewal_rate(boolean): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.share_final(crm.share_state) IS 'Support function of crm.win_rate(boolean) and crm.renewal_rate(boolean): final share.';
COMMENT ON FUNCTION crm.sla_trans(internal, timestamptz, timestamptz, interval) IS 'Support function of aggregate crm.sla_attainment: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.sla_calendar_trans(internal, timestamptz, timestamptz, interval, crm.business_calendar) IS 'Support function of aggregate crm.sla_attainment with a calendar: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.fcr_trans(internal, integer, boolean, boolean) IS 'Support function of aggregate crm.fcr_rate: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.service_share_final(internal) IS 'Support function of crm.sla_attainment and crm.fcr_rate: moving-aggregate final share (window frames).';
COMMENT ON FUNCTION crm.sla_trans(crm.share_state, timestamptz, timestamptz, interval) IS 'Support function of aggregate crm.sla_attainment: transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm.sla_calendar_trans(crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar) IS 'Support function of aggregate crm.sla_attainment with a calendar: transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm.fcr_trans(crm.share_state, integer, boolean, boolean) IS 'Support function of aggregate crm.fcr_rate: transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm.service_share_combine(crm.share_state, crm.share_state) IS 'Support function of crm.sla_attainment and crm.fcr_rate: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.service_share_final(crm.share_state) IS 'Support function of crm.sla_attainment and crm.fcr_rate: final share.';

-- The transitions of crm.customer_agg, of the 4-argument crm.retention_rate and crm.churn_rate
-- and the moving-aggregate transition of crm.fcr_rate, and the final function of
-- crm.customer_agg, became raw V1 C functions with new entry points and the same signatures.
-- CREATE OR REPLACE FUNCTION cannot drop the parameter names the 0.1.0 definitions had (a fresh
-- 0.2.0 declares them without names), and the aggregates depend on them, so the rows are
-- updated in place.
UPDATE pg_catalog.pg_proc p SET prosrc = v.entry, proargnames = NULL
FROM (VALUES
    ('crm.customer_agg_trans(internal, timestamptz, timestamptz)', 'crm_customer_agg_trans'),
    ('crm.customer_agg_final(internal)', 'crm_customer_agg_final'),
    ('crm.retention_rate_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz)', 'crm_retention_rate_trans'),
    ('crm.churn_rate_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz)', 'crm_churn_rate_trans'),
    ('crm.fcr_trans(internal, integer, boolean, boolean)', 'crm_fcr_trans')
) AS v(signature, entry)
WHERE p.oid = v.signature::pg_catalog.regprocedure;

-- Transition states Citus can ship for the growing states: crm.customer_agg, crm.cohort_agg,
-- crm.mrr_agg, crm.service_agg and their rollups keep their summary type (crm.customer_summary,
-- crm.cohort_summary, crm.mrr_summary, crm.service_summary) as an expanded object instead of an
-- internal state (src/common/expanded.rs), with combine functions over that type and no
-- serialize/deserialize functions. As for the counting aggregates above, the aggregates are changed in place
-- (views use them), then the support functions of 0.1.0 are dropped.

-- New support functions (as in sql/customers.sql, sql/cohorts.sql, sql/revenue.sql and
-- sql/service.sql).
CREATE FUNCTION crm.customer_agg_trans(crm.customer_summary, timestamptz, timestamptz)
    RETURNS crm.customer_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_customer_agg_trans';
CREATE FUNCTION crm.customer_rollup_trans(crm.customer_summary, crm.customer_summary)
    RETURNS crm.customer_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_customer_rollup_trans';
CREATE FUNCTION crm.customer_agg_combine(crm.customer_summary, crm.customer_summary)
    RETURNS crm.customer_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_customer_agg_combine';
CREATE FUNCTION crm.customer_agg_final(crm.customer_summary) RETURNS crm.customer_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_customer_agg_final';
CREATE FUNCTION crm.cohort_bigint_trans(crm.cohort_summary, bigint, timestamptz, text)
    RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_bigint_trans';
CREATE FUNCTION crm.cohort_bigint_zone_trans(crm.cohort_summary, bigint, timestamptz, text, text)
    RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_bigint_zone_trans';
CREATE FUNCTION crm.cohort_text_trans(crm.cohort_summary, text, timestamptz, text)
    RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_text_trans';
CREATE FUNCTION crm.cohort_text_zone_trans(crm.cohort_summary, text, timestamptz, text, text)
    RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_text_zone_trans';
CREATE FUNCTION crm.cohort_uuid_trans(crm.cohort_summary, uuid, timestamptz, text)
    RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_uuid_trans';
CREATE FUNCTION crm.cohort_uuid_zone_trans(crm.cohort_summary, uuid, timestamptz, text, text)
    RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_uuid_zone_trans';
CREATE FUNCTION crm.cohort_rollup_trans(crm.cohort_summary, crm.cohort_summary)
    RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_rollup_trans';
CREATE FUNCTION crm.cohort_combine(crm.cohort_summary, crm.cohort_summary)
    RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_combine';
CREATE FUNCTION crm.cohort_final(crm.cohort_summary) RETURNS crm.cohort_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_final';
CREATE FUNCTION crm.mrr_bigint_trans(crm.mrr_summary, bigint, date, numeric) RETURNS crm.mrr_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mrr_bigint_trans';
CREATE FUNCTION crm.mrr_text_trans(crm.mrr_summary, text, date, numeric) RETURNS crm.mrr_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mrr_text_trans';
CREATE FUNCTION crm.mrr_uuid_trans(crm.mrr_summary, uuid, date, numeric) RETURNS crm.mrr_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mrr_uuid_trans';
CREATE FUNCTION crm.mrr_rollup_trans(crm.mrr_summary, crm.mrr_summary) RETURNS crm.mrr_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mrr_rollup_trans';
CREATE FUNCTION crm.mrr_combine(crm.mrr_summary, crm.mrr_summary) RETURNS crm.mrr_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mrr_combine';
CREATE FUNCTION crm.mrr_final(crm.mrr_summary) RETURNS crm.mrr_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mrr_final';
CREATE FUNCTION crm.service_agg_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean)
    RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_service_agg_trans';
CREATE FUNCTION crm.service_agg_calendar_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar)
    RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_service_agg_calendar_trans';
CREATE FUNCTION crm.service_rollup_trans(crm.service_summary, crm.service_summary)
    RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_service_rollup_trans';
CREATE FUNCTION crm.service_combine(crm.service_summary, crm.service_summary)
    RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_service_combine';
CREATE FUNCTION crm.service_final(crm.service_summary)
    RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_service_final';

-- The aggregates, changed in place.
SELECT crm.upgrade_aggregate_state(c.aggregate, c.transfn, c.transtype, c.finalfn, c.combinefn,
                                     c.transspace)
FROM (VALUES
            ('crm.customer_agg(timestamptz,timestamptz)',
             'crm.customer_agg_trans(crm.customer_summary,timestamptz,timestamptz)',
             'crm.customer_summary', 'crm.customer_agg_final(crm.customer_summary)',
             'crm.customer_agg_combine(crm.customer_summary,crm.customer_summary)', 0),
            ('crm.rollup(crm.customer_summary)',
             'crm.customer_rollup_trans(crm.customer_summary,crm.customer_summary)',
             'crm.customer_summary', 'crm.customer_agg_final(crm.customer_summary)',
             'crm.customer_agg_combine(crm.customer_summary,crm.customer_summary)', 0),
            ('crm.cohort_agg(bigint,timestamptz,text)',
             'crm.cohort_bigint_trans(crm.cohort_summary,bigint,timestamptz,text)',
             'crm.cohort_summary', 'crm.cohort_final(crm.cohort_summary)',
             'crm.cohort_combine(crm.cohort_summary,crm.cohort_summary)', 0),
            ('crm.cohort_agg(bigint,timestamptz,text,text)',
             'crm.cohort_bigint_zone_trans(crm.cohort_summary,bigint,timestamptz,text,text)',
             'crm.cohort_summary', 'crm.cohort_final(crm.cohort_summary)',
             'crm.cohort_combine(crm.cohort_summary,crm.cohort_summary)', 0),
            ('crm.cohort_agg(text,timestamptz,text)',
             'crm.cohort_text_trans(crm.cohort_summary,text,timestamptz,text)',
             'crm.cohort_summary', 'crm.cohort_final(crm.cohort_summary)',
             'crm.cohort_combine(crm.cohort_summary,crm.cohort_summary)', 0),
            ('crm.cohort_agg(text,timestamptz,text,text)',
             'crm.cohort_text_zone_trans(crm.cohort_summary,text,timestamptz,text,text)',
             'crm.cohort_summary', 'crm.cohort_final(crm.cohort_summary)',
             'crm.cohort_combine(crm.cohort_summary,crm.cohort_summary)', 0),
            ('crm.cohort_agg(uuid,timestamptz,text)',
             'crm.cohort_uuid_trans(crm.cohort_summary,uuid,timestamptz,text)',
             'crm.cohort_summary', 'crm.cohort_final(crm.cohort_summary)',
             'crm.cohort_combine(crm.cohort_summary,crm.cohort_summary)', 0),
            ('crm.cohort_agg(uuid,timestamptz,text,text)',
             'crm.cohort_uuid_zone_trans(crm.cohort_summary,uuid,timestamptz,text,text)',
             'crm.cohort_summary', 'crm.cohort_final(crm.cohort_summary)',
             'crm.cohort_combine(crm.cohort_summary,crm.cohort_summary)', 0),
            ('crm.rollup(crm.cohort_summary)',
             'crm.cohort_rollup_trans(crm.cohort_summary,crm.cohort_summary)',
             'crm.cohort_summary', 'crm.cohort_final(crm.cohort_summary)',
             'crm.cohort_combine(crm.cohort_summary,crm.cohort_summary)', 0),
            ('crm.mrr_agg(bigint,date,numeric)',
             'crm.mrr_bigint_trans(crm.mrr_summary,bigint,date,numeric)',
             'crm.mrr_summary', 'crm.mrr_final(crm.mrr_summary)',
             'crm.mrr_combine(crm.mrr_summary,crm.mrr_summary)', 0),
            ('crm.mrr_agg(text,date,numeric)',
             'crm.mrr_text_trans(crm.mrr_summary,text,date,numeric)',
             'crm.mrr_summary', 'crm.mrr_final(crm.mrr_summary)',
             'crm.mrr_combine(crm.mrr_summary,crm.mrr_summary)', 0),
            ('crm.mrr_agg(uuid,date,numeric)',
             'crm.mrr_uuid_trans(crm.mrr_summary,uuid,date,numeric)',
             'crm.mrr_summary', 'crm.mrr_final(crm.mrr_summary)',
             'crm.mrr_combine(crm.mrr_summary,crm.mrr_summary)', 0),
            ('crm.rollup(crm.mrr_summary)',
             'crm.mrr_rollup_trans(crm.mrr_summary,crm.mrr_summary)',
             'crm.mrr_summary', 'crm.mrr_final(crm.mrr_summary)',
             'crm.mrr_combine(crm.mrr_summary,crm.mrr_summary)', 0),
            ('crm.service_agg(timestamptz,timestamptz,timestamptz,integer,boolean)',
             'crm.service_agg_trans(crm.service_summary,timestamptz,timestamptz,timestamptz,integer,boolean)',
             'crm.service_summary', 'crm.service_final(crm.service_summary)',
             'crm.service_combine(crm.service_summary,crm.service_summary)', 0),
            ('crm.service_agg(timestamptz,timestamptz,timestamptz,integer,boolean,crm.business_calendar)',
             'crm.service_agg_calendar_trans(crm.service_summary,timestamptz,timestamptz,timestamptz,integer,boolean,crm.business_calendar)',
             'crm.service_summary', 'crm.service_final(crm.service_summary)',
             'crm.service_combine(crm.service_summary,crm.service_summary)', 0),
            ('crm.rollup(crm.service_summary)',
             'crm.service_rollup_trans(crm.service_summary,crm.service_summary)',
             'crm.service_summary', 'crm.service_final(crm.service_summary)',
             'crm.service_combine(crm.service_summary,crm.service_summary)', 0)
) AS c(aggregate, transfn, transtype, finalfn, combinefn, transspace);

-- Support functions of 0.1.0 no aggregate uses any more.
DROP FUNCTION crm.customer_agg_trans(internal, timestamptz, timestamptz);
DROP FUNCTION crm.customer_rollup_trans(internal, crm.customer_summary);
DROP FUNCTION crm.customer_agg_combine(internal, internal);
DROP FUNCTION crm.customer_agg_final(internal);
DROP FUNCTION crm.cohort_bigint_trans(internal, bigint, timestamptz, text);
DROP FUNCTION crm.cohort_bigint_zone_trans(internal, bigint, timestamptz, text, text);
DROP FUNCTION crm.cohort_text_trans(internal, text, timestamptz, text);
DROP FUNCTION crm.cohort_text_zone_trans(internal, text, timestamptz, text, text);
DROP FUNCTION crm.cohort_uuid_trans(internal, uuid, timestamptz, text);
DROP FUNCTION crm.cohort_uuid_zone_trans(internal, uuid, timestamptz, text, text);
DROP FUNCTION crm.cohort_rollup_trans(internal, crm.cohort_summary);
DROP FUNCTION crm.cohort_combine(internal, internal);
DROP FUNCTION crm.cohort_final(internal);
DROP FUNCTION crm.mrr_bigint_trans(internal, bigint, date, numeric);
DROP FUNCTION crm.mrr_text_trans(internal, text, date, numeric);
DROP FUNCTION crm.mrr_uuid_trans(internal, uuid, date, numeric);
DROP FUNCTION crm.mrr_rollup_trans(internal, crm.mrr_summary);
DROP FUNCTION crm.mrr_combine(internal, internal);
DROP FUNCTION crm.mrr_final(internal);
DROP FUNCTION crm.service_agg_trans(internal, timestamptz, timestamptz, timestamptz, integer, boolean);
DROP FUNCTION crm.service_agg_calendar_trans(internal, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar);
DROP FUNCTION crm.service_rollup_trans(internal, crm.service_summary);
DROP FUNCTION crm.service_combine(internal, internal);
DROP FUNCTION crm.service_final(internal);
DROP FUNCTION crm.customer_agg_serialize(internal);
DROP FUNCTION crm.customer_agg_deserialize(bytea, internal);
DROP FUNCTION crm.cohort_serialize(internal);
DROP FUNCTION crm.cohort_deserialize(bytea, internal);
DROP FUNCTION crm.mrr_serialize(internal);
DROP FUNCTION crm.mrr_deserialize(bytea, internal);
DROP FUNCTION crm.service_serialize(internal);
DROP FUNCTION crm.service_deserialize(bytea, internal);

-- Comments (as in the family files).
COMMENT ON FUNCTION crm.customer_agg_trans(crm.customer_summary, timestamptz, timestamptz) IS 'Support function of aggregate crm.customer_agg: transition.';
COMMENT ON FUNCTION crm.customer_rollup_trans(crm.customer_summary, crm.customer_summary) IS 'Support function of aggregate crm.rollup(crm.customer_summary): transition.';
COMMENT ON FUNCTION crm.customer_agg_combine(crm.customer_summary, crm.customer_summary) IS 'Support function of crm.customer_agg and crm.rollup(crm.customer_summary): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.customer_agg_final(crm.customer_summary) IS 'Support function of crm.customer_agg and crm.rollup(crm.customer_summary): final summary.';
COMMENT ON FUNCTION crm.cohort_bigint_trans(crm.cohort_summary, bigint, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(bigint, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.cohort_bigint_zone_trans(crm.cohort_summary, bigint, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(bigint, timestamptz, text, text): transition.';
COMMENT ON FUNCTION crm.cohort_text_trans(crm.cohort_summary, text, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(text, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.cohort_text_zone_trans(crm.cohort_summary, text, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(text, timestamptz, text, text): transition.';
COMMENT ON FUNCTION crm.cohort_uuid_trans(crm.cohort_summary, uuid, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(uuid, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.cohort_uuid_zone_trans(crm.cohort_summary, uuid, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(uuid, timestamptz, text, text): transition.';
COMMENT ON FUNCTION crm.cohort_rollup_trans(crm.cohort_summary, crm.cohort_summary) IS 'Support function of aggregate crm.rollup(crm.cohort_summary): transition.';
COMMENT ON FUNCTION crm.cohort_combine(crm.cohort_summary, crm.cohort_summary) IS 'Support function of crm.cohort_agg and crm.rollup(crm.cohort_summary): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.cohort_final(crm.cohort_summary) IS 'Support function of crm.cohort_agg and crm.rollup(crm.cohort_summary): final summary.';
COMMENT ON FUNCTION crm.mrr_bigint_trans(crm.mrr_summary, bigint, date, numeric) IS 'Support function of aggregate crm.mrr_agg(bigint, date, numeric): transition.';
COMMENT ON FUNCTION crm.mrr_text_trans(crm.mrr_summary, text, date, numeric) IS 'Support function of aggregate crm.mrr_agg(text, date, numeric): transition.';
COMMENT ON FUNCTION crm.mrr_uuid_trans(crm.mrr_summary, uuid, date, numeric) IS 'Support function of aggregate crm.mrr_agg(uuid, date, numeric): transition.';
COMMENT ON FUNCTION crm.mrr_rollup_trans(crm.mrr_summary, crm.mrr_summary) IS 'Support function of aggregate crm.rollup(crm.mrr_summary): transition.';
COMMENT ON FUNCTION crm.mrr_combine(crm.mrr_summary, crm.mrr_summary) IS 'Support function of crm.mrr_agg and crm.rollup(crm.mrr_summary): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.mrr_final(crm.mrr_summary) IS 'Support function of crm.mrr_agg and crm.rollup(crm.mrr_summary): final summary.';
COMMENT ON FUNCTION crm.service_agg_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean) IS
    'Support function of aggregate crm.service_agg: transition.';
COMMENT ON FUNCTION crm.service_agg_calendar_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar) IS
    'Support function of aggregate crm.service_agg with a calendar: transition.';
COMMENT ON FUNCTION crm.service_rollup_trans(crm.service_summary, crm.service_summary) IS 'Support function of aggregate crm.rollup(crm.service_summary): transition.';
COMMENT ON FUNCTION crm.service_combine(crm.service_summary, crm.service_summary) IS 'Support function of the service summary aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.service_final(crm.service_summary) IS 'Support function of crm.service_agg and crm.rollup(crm.service_summary): final summary.';

-- Transition states Citus can ship, second set: crm.pipeline_agg, crm.pipeline_velocity and
-- crm.rollup(crm.pipeline_summary) keep their state as crm.pipeline_summary, crm.retention_rate
-- and both crm.churn_rate as the new type crm.customer_period_state, changed in place per row,
-- with combine functions over those types and no serialize/deserialize functions.
-- Views use these aggregates, so their pg_aggregate rows and dependencies are changed in place
-- (as above), then the support functions no longer used are dropped. The moving
-- aggregates (window frames) keep their internal state and functions.

-- The new state type, as a fresh CREATE EXTENSION makes it (pgrx's shell type, text input and
-- output, then the base type), and what sql/summary_types.sql gives every type of the
-- extension: binary receive/send, = and <>, the default hash operator class.
CREATE TYPE crm.customer_period_state;
CREATE FUNCTION crm."customer_period_state_in"("input" cstring) RETURNS crm.customer_period_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'customer_period_state_in_wrapper';
CREATE FUNCTION crm."customer_period_state_out"("input" crm.customer_period_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'customer_period_state_out_wrapper';
CREATE TYPE crm.customer_period_state (
    INTERNALLENGTH = variable,
    INPUT = crm.customer_period_state_in,
    OUTPUT = crm.customer_period_state_out,
    STORAGE = extended
);
SELECT crm.upgrade_type_support(ARRAY['customer_period_state']);

-- New support functions (as in sql/pipeline.sql and sql/customers.sql).
CREATE FUNCTION crm.pipeline_agg_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean)
    RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_agg_state_trans';
CREATE FUNCTION crm.pipeline_velocity_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean)
    RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_velocity_state_trans';
CREATE FUNCTION crm.pipeline_rollup_trans(crm.pipeline_summary, crm.pipeline_summary)
    RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_rollup_state_trans';
CREATE FUNCTION crm.pipeline_combine(crm.pipeline_summary, crm.pipeline_summary)
    RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_state_combine';
CREATE FUNCTION crm.pipeline_agg_final(crm.pipeline_summary) RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_agg_state_final';
CREATE FUNCTION crm.pipeline_velocity_final(crm.pipeline_summary) RETURNS numeric
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_velocity_state_final';
CREATE FUNCTION crm.retention_rate_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz)
    RETURNS crm.customer_period_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_retention_rate_state_trans';
CREATE FUNCTION crm.churn_rate_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz)
    RETURNS crm.customer_period_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_churn_rate_state_trans';
CREATE FUNCTION crm.churn_rate_denominator_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz, text)
    RETURNS crm.customer_period_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_churn_rate_denominator_state_trans';
CREATE FUNCTION crm.customer_period_combine(crm.customer_period_state, crm.customer_period_state)
    RETURNS crm.customer_period_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_customer_period_state_combine';
CREATE FUNCTION crm.retention_rate_final(crm.customer_period_state) RETURNS double precision
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_retention_rate_state_final';
CREATE FUNCTION crm.churn_rate_final(crm.customer_period_state) RETURNS double precision
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_churn_rate_state_final';

-- The aggregates, changed in place: transition, state type, final and combine functions; no
-- serialize/deserialize functions; no initial value (the state is NULL until a usable row).
SELECT crm.upgrade_aggregate_state(c.aggregate, c.transfn, c.transtype, c.finalfn, c.combinefn,
                                     c.transspace)
FROM (VALUES
            ('crm.pipeline_agg(numeric,timestamptz,timestamptz,boolean)',
             'crm.pipeline_agg_trans(crm.pipeline_summary,numeric,timestamptz,timestamptz,boolean)',
             'crm.pipeline_summary', 'crm.pipeline_agg_final(crm.pipeline_summary)',
             'crm.pipeline_combine(crm.pipeline_summary,crm.pipeline_summary)', 0),
            ('crm.pipeline_velocity(numeric,timestamptz,timestamptz,boolean)',
             'crm.pipeline_velocity_trans(crm.pipeline_summary,numeric,timestamptz,timestamptz,boolean)',
             'crm.pipeline_summary', 'crm.pipeline_velocity_final(crm.pipeline_summary)',
             'crm.pipeline_combine(crm.pipeline_summary,crm.pipeline_summary)', 0),
            ('crm.rollup(crm.pipeline_summary)',
             'crm.pipeline_rollup_trans(crm.pipeline_summary,crm.pipeline_summary)',
             'crm.pipeline_summary', 'crm.pipeline_agg_final(crm.pipeline_summary)',
             'crm.pipeline_combine(crm.pipeline_summary,crm.pipeline_summary)', 0),
            ('crm.retention_rate(timestamptz,timestamptz,timestamptz,timestamptz)',
             'crm.retention_rate_trans(crm.customer_period_state,timestamptz,timestamptz,timestamptz,timestamptz)',
             'crm.customer_period_state', 'crm.retention_rate_final(crm.customer_period_state)',
             'crm.customer_period_combine(crm.customer_period_state,crm.customer_period_state)', 0),
            ('crm.churn_rate(timestamptz,timestamptz,timestamptz,timestamptz)',
             'crm.churn_rate_trans(crm.customer_period_state,timestamptz,timestamptz,timestamptz,timestamptz)',
             'crm.customer_period_state', 'crm.churn_rate_final(crm.customer_period_state)',
             'crm.customer_period_combine(crm.customer_period_state,crm.customer_period_state)', 0),
            ('crm.churn_rate(timestamptz,timestamptz,timestamptz,timestamptz,text)',
             'crm.churn_rate_denominator_trans(crm.customer_period_state,timestamptz,timestamptz,timestamptz,timestamptz,text)',
             'crm.customer_period_state', 'crm.churn_rate_final(crm.customer_period_state)',
             'crm.customer_period_combine(crm.customer_period_state,crm.customer_period_state)', 0)
) AS c(aggregate, transfn, transtype, finalfn, combinefn, transspace);

-- Support functions of 0.1.0 no aggregate uses any more.
DROP FUNCTION crm.pipeline_combine(internal, internal);
DROP FUNCTION crm.pipeline_serialize(internal);
DROP FUNCTION crm.pipeline_deserialize(bytea, internal);
DROP FUNCTION crm.customer_period_combine(internal, internal);
DROP FUNCTION crm.customer_period_serialize(internal);
DROP FUNCTION crm.customer_period_deserialize(bytea, internal);

-- Comments (as in sql/pipeline.sql and sql/customers.sql).
COMMENT ON FUNCTION crm.pipeline_agg_trans(internal, numeric, timestamptz, timestamptz, boolean) IS 'Support function of aggregate crm.pipeline_agg: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.pipeline_velocity_trans(internal, numeric, timestamptz, timestamptz, boolean) IS 'Support function of aggregate crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.pipeline_rollup_trans(internal, crm.pipeline_summary) IS 'Support function of aggregate crm.rollup(crm.pipeline_summary): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.pipeline_agg_final(internal) IS 'Support function of crm.pipeline_agg and crm.rollup(crm.pipeline_summary): moving-aggregate final summary (window frames).';
COMMENT ON FUNCTION crm.pipeline_velocity_final(internal) IS 'Support function of aggregate crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean): moving-aggregate final velocity per day (window frames).';
COMMENT ON FUNCTION crm.pipeline_agg_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean) IS 'Support function of aggregate crm.pipeline_agg: transition (state crm.pipeline_summary, changed in place).';
COMMENT ON FUNCTION crm.pipeline_velocity_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean) IS 'Support function of aggregate crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean): transition (state crm.pipeline_summary, changed in place).';
COMMENT ON FUNCTION crm.pipeline_rollup_trans(crm.pipeline_summary, crm.pipeline_summary) IS 'Support function of aggregate crm.rollup(crm.pipeline_summary): transition (merges one summary into the state).';
COMMENT ON FUNCTION crm.pipeline_combine(crm.pipeline_summary, crm.pipeline_summary) IS 'Support function of the pipeline aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.pipeline_agg_final(crm.pipeline_summary) IS 'Support function of crm.pipeline_agg and crm.rollup(crm.pipeline_summary): final summary (canonical stored form).';
COMMENT ON FUNCTION crm.pipeline_velocity_final(crm.pipeline_summary) IS 'Support function of aggregate crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean): velocity per day.';
COMMENT ON FUNCTION crm.retention_rate_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.retention_rate: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.churn_rate_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.churn_rate: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.churn_rate_denominator_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.churn_rate(..., denominator): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.retention_rate_final(internal) IS 'Support function of aggregate crm.retention_rate: moving-aggregate final rate (window frames).';
COMMENT ON FUNCTION crm.churn_rate_final(internal) IS 'Support function of aggregate crm.churn_rate: moving-aggregate final rate (window frames).';
COMMENT ON TYPE crm.customer_period_state IS
    'Transition state of crm.retention_rate and crm.churn_rate: the period''s counts, the rows and the denominator they named; text form {"customers_at_start":3,"customers_at_end":2,"new_customers":1,"churned_customers":2,"started_in_period":1,"ended_in_period":2,"rows":4,"denominator":null} (Citus ships partial states in this form).';
COMMENT ON FUNCTION crm.customer_period_state_in(cstring) IS 'Text input of crm.customer_period_state.';
COMMENT ON FUNCTION crm.customer_period_state_out(crm.customer_period_state) IS 'Text output of crm.customer_period_state.';
COMMENT ON FUNCTION crm.retention_rate_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.retention_rate: transition (state crm.customer_period_state, changed in place).';
COMMENT ON FUNCTION crm.churn_rate_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.churn_rate: transition (state crm.customer_period_state, changed in place).';
COMMENT ON FUNCTION crm.churn_rate_denominator_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.churn_rate(..., denominator): transition (state crm.customer_period_state, changed in place).';
COMMENT ON FUNCTION crm.customer_period_combine(crm.customer_period_state, crm.customer_period_state) IS 'Support function of crm.retention_rate and crm.churn_rate: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.retention_rate_final(crm.customer_period_state) IS 'Support function of aggregate crm.retention_rate: final rate.';
COMMENT ON FUNCTION crm.churn_rate_final(crm.customer_period_state) IS 'Support function of aggregate crm.churn_rate: final rate.';

-- Transition states Citus can ship for the CLV family: crm.rfm_agg (state crm.rfm_state), the
-- model fits crm.bgnbd_fit over (frequency, recency, t[, weight]), crm.gamma_gamma_fit and
-- crm.sbg_fit (state crm.fit_rows), and crm.bgnbd_fit straight from purchases (state
-- crm.purchase_days) get a real transition type instead of internal, kept as an expanded object
-- while the aggregate runs, with combine functions over that type and no serialize/deserialize
-- functions. Views use these aggregates, so they are not dropped: their pg_aggregate rows and
-- dependencies are changed in place, then the support functions no longer used are dropped.

-- New state types, as a fresh CREATE EXTENSION makes them (pgrx's shell type, text input and
-- output, then the base type).
CREATE TYPE crm.rfm_state;
CREATE FUNCTION crm."rfm_state_in"("input" cstring) RETURNS crm.rfm_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rfm_state_in_wrapper';
CREATE FUNCTION crm."rfm_state_out"("input" crm.rfm_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rfm_state_out_wrapper';
CREATE TYPE crm.rfm_state (
    INTERNALLENGTH = variable,
    INPUT = crm.rfm_state_in,
    OUTPUT = crm.rfm_state_out,
    STORAGE = extended
);
CREATE TYPE crm.fit_rows;
CREATE FUNCTION crm."fit_rows_in"("input" cstring) RETURNS crm.fit_rows
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'fit_rows_in_wrapper';
CREATE FUNCTION crm."fit_rows_out"("input" crm.fit_rows) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'fit_rows_out_wrapper';
CREATE TYPE crm.fit_rows (
    INTERNALLENGTH = variable,
    INPUT = crm.fit_rows_in,
    OUTPUT = crm.fit_rows_out,
    STORAGE = extended
);
CREATE TYPE crm.purchase_days;
CREATE FUNCTION crm."purchase_days_in"("input" cstring) RETURNS crm.purchase_days
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'purchase_days_in_wrapper';
CREATE FUNCTION crm."purchase_days_out"("input" crm.purchase_days) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'purchase_days_out_wrapper';
CREATE TYPE crm.purchase_days (
    INTERNALLENGTH = variable,
    INPUT = crm.purchase_days_in,
    OUTPUT = crm.purchase_days_out,
    STORAGE = extended
);

-- What sql/summary_types.sql gives every type of the extension: binary receive/send, = and <>,
-- the default hash operator class.
SELECT crm.upgrade_type_support(ARRAY['rfm_state', 'fit_rows', 'purchase_days']);

-- New support functions (as in sql/clv.sql).
CREATE FUNCTION crm.rfm_agg_trans(crm.rfm_state, timestamptz, numeric, timestamptz, text)
    RETURNS crm.rfm_state IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_agg_trans';
CREATE FUNCTION crm.rfm_agg_combine(crm.rfm_state, crm.rfm_state)
    RETURNS crm.rfm_state IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_agg_combine';
CREATE FUNCTION crm.rfm_agg_final(crm.rfm_state) RETURNS crm.rfm
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_agg_final';
CREATE FUNCTION crm.bgnbd_fit_trans(crm.fit_rows, integer, double precision, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_trans';
CREATE FUNCTION crm.bgnbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_weighted_trans';
CREATE FUNCTION crm.gamma_gamma_fit_trans(crm.fit_rows, integer, numeric)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_trans';
CREATE FUNCTION crm.sbg_fit_trans(crm.fit_rows, integer, boolean)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sbg_fit_trans';
CREATE FUNCTION crm.sbg_fit_weighted_trans(crm.fit_rows, integer, boolean, bigint)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sbg_fit_weighted_trans';
CREATE FUNCTION crm.clv_fit_combine(crm.fit_rows, crm.fit_rows)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_clv_fit_combine';
CREATE FUNCTION crm.bgnbd_fit_final(crm.fit_rows)
    RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_final';
CREATE FUNCTION crm.gamma_gamma_fit_final(crm.fit_rows)
    RETURNS crm.gamma_gamma_model IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_final';
CREATE FUNCTION crm.sbg_fit_final(crm.fit_rows)
    RETURNS crm.sbg_model IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sbg_fit_final';
CREATE FUNCTION crm.bgnbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_bigint_trans';
CREATE FUNCTION crm.bgnbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_text_trans';
CREATE FUNCTION crm.bgnbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_uuid_trans';
CREATE FUNCTION crm.bgnbd_purchases_combine(crm.purchase_days, crm.purchase_days)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_purchases_combine';
CREATE FUNCTION crm.bgnbd_purchases_final(crm.purchase_days)
    RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_purchases_final';

-- The aggregates, changed in place: transition, state type, final and combine functions; no
-- serialize/deserialize functions; no initial value (the state is NULL until a usable row);
-- crm.rfm_agg keeps its SSPACE of 256 bytes.
SELECT crm.upgrade_aggregate_state(c.aggregate, c.transfn, c.transtype, c.finalfn, c.combinefn,
                                     c.transspace)
FROM (VALUES
            ('crm.rfm_agg(timestamptz,numeric,timestamptz,text)',
             'crm.rfm_agg_trans(crm.rfm_state,timestamptz,numeric,timestamptz,text)', 'crm.rfm_state',
             'crm.rfm_agg_final(crm.rfm_state)', 'crm.rfm_agg_combine(crm.rfm_state,crm.rfm_state)', 256),
            ('crm.bgnbd_fit(integer,double precision,double precision)',
             'crm.bgnbd_fit_trans(crm.fit_rows,integer,double precision,double precision)', 'crm.fit_rows',
             'crm.bgnbd_fit_final(crm.fit_rows)', 'crm.clv_fit_combine(crm.fit_rows,crm.fit_rows)', 0),
            ('crm.bgnbd_fit(integer,double precision,double precision,bigint)',
             'crm.bgnbd_fit_weighted_trans(crm.fit_rows,integer,double precision,double precision,bigint)',
             'crm.fit_rows', 'crm.bgnbd_fit_final(crm.fit_rows)',
             'crm.clv_fit_combine(crm.fit_rows,crm.fit_rows)', 0),
            ('crm.gamma_gamma_fit(integer,numeric)',
             'crm.gamma_gamma_fit_trans(crm.fit_rows,integer,numeric)', 'crm.fit_rows',
             'crm.gamma_gamma_fit_final(crm.fit_rows)', 'crm.clv_fit_combine(crm.fit_rows,crm.fit_rows)', 0),
            ('crm.sbg_fit(integer,boolean)', 'crm.sbg_fit_trans(crm.fit_rows,integer,boolean)',
             'crm.fit_rows', 'crm.sbg_fit_final(crm.fit_rows)',
             'crm.clv_fit_combine(crm.fit_rows,crm.fit_rows)', 0),
            ('crm.sbg_fit(integer,boolean,bigint)',
             'crm.sbg_fit_weighted_trans(crm.fit_rows,integer,boolean,bigint)', 'crm.fit_rows',
             'crm.sbg_fit_final(crm.fit_rows)', 'crm.clv_fit_combine(crm.fit_rows,crm.fit_rows)', 0),
            ('crm.bgnbd_fit(bigint,timestamptz,timestamptz,text)',
             'crm.bgnbd_fit_purchases_bigint_trans(crm.purchase_days,bigint,timestamptz,timestamptz,text)',
             'crm.purchase_days', 'crm.bgnbd_purchases_final(crm.purchase_days)',
             'crm.bgnbd_purchases_combine(crm.purchase_days,crm.purchase_days)', 0),
            ('crm.bgnbd_fit(text,timestamptz,timestamptz,text)',
             'crm.bgnbd_fit_purchases_text_trans(crm.purchase_days,text,timestamptz,timestamptz,text)',
             'crm.purchase_days', 'crm.bgnbd_purchases_final(crm.purchase_days)',
             'crm.bgnbd_purchases_combine(crm.purchase_days,crm.purchase_days)', 0),
            ('crm.bgnbd_fit(uuid,timestamptz,timestamptz,text)',
             'crm.bgnbd_fit_purchases_uuid_trans(crm.purchase_days,uuid,timestamptz,timestamptz,text)',
             'crm.purchase_days', 'crm.bgnbd_purchases_final(crm.purchase_days)',
             'crm.bgnbd_purchases_combine(crm.purchase_days,crm.purchase_days)', 0)
) AS c(aggregate, transfn, transtype, finalfn, combinefn, transspace);

-- Support functions of 0.1.0 (and of the purchases fits above) no aggregate uses any more.
DROP FUNCTION crm.rfm_agg_trans(internal, timestamptz, numeric, timestamptz, text);
DROP FUNCTION crm.rfm_agg_combine(internal, internal);
DROP FUNCTION crm.rfm_agg_serialize(internal);
DROP FUNCTION crm.rfm_agg_deserialize(bytea, internal);
DROP FUNCTION crm.rfm_agg_final(internal);
DROP FUNCTION crm.bgnbd_fit_trans(internal, integer, double precision, double precision);
DROP FUNCTION crm.bgnbd_fit_weighted_trans(internal, integer, double precision, double precision, bigint);
DROP FUNCTION crm.gamma_gamma_fit_trans(internal, integer, numeric);
DROP FUNCTION crm.sbg_fit_trans(internal, integer, boolean);
DROP FUNCTION crm.sbg_fit_weighted_trans(internal, integer, boolean, bigint);
DROP FUNCTION crm.clv_fit_combine(internal, internal);
DROP FUNCTION crm.clv_fit_serialize(internal);
DROP FUNCTION crm.clv_fit_deserialize(bytea, internal);
DROP FUNCTION crm.bgnbd_fit_final(internal);
DROP FUNCTION crm.gamma_gamma_fit_final(internal);
DROP FUNCTION crm.sbg_fit_final(internal);
DROP FUNCTION crm.bgnbd_fit_purchases_bigint_trans(internal, bigint, timestamptz, timestamptz, text);
DROP FUNCTION crm.bgnbd_fit_purchases_text_trans(internal, text, timestamptz, timestamptz, text);
DROP FUNCTION crm.bgnbd_fit_purchases_uuid_trans(internal, uuid, timestamptz, timestamptz, text);
DROP FUNCTION crm.bgnbd_purchases_combine(internal, internal);
DROP FUNCTION crm.bgnbd_purchases_serialize(internal);
DROP FUNCTION crm.bgnbd_purchases_deserialize(bytea, internal);
DROP FUNCTION crm.bgnbd_purchases_final(internal);

-- Comments (as in sql/clv.sql).
COMMENT ON TYPE crm.rfm_state IS
    'Transition state of crm.rfm_agg: one customer''s daily purchase totals with the observation end and time unit. Opaque text form: \x and the hex digits of the binary form (as bytea prints it), validated on input; Citus ships partial states in this form.';
COMMENT ON TYPE crm.fit_rows IS
    'Transition state of crm.bgnbd_fit over (frequency, recency, t), crm.gamma_gamma_fit and crm.sbg_fit: distinct input rows with the customers each stands for. Opaque text form: \x and the hex digits of the binary form (as bytea prints it), validated on input; Citus ships partial states in this form.';
COMMENT ON TYPE crm.purchase_days IS
    'Transition state of crm.bgnbd_fit straight from purchases: (customer, purchase day) pairs with the observation end and time unit. Opaque text form: \x and the hex digits of the binary form (as bytea prints it), validated on input; Citus ships partial states in this form.';
COMMENT ON FUNCTION crm.rfm_state_in(cstring) IS 'Text input of crm.rfm_state.';
COMMENT ON FUNCTION crm.rfm_state_out(crm.rfm_state) IS 'Text output of crm.rfm_state.';
COMMENT ON FUNCTION crm.fit_rows_in(cstring) IS 'Text input of crm.fit_rows.';
COMMENT ON FUNCTION crm.fit_rows_out(crm.fit_rows) IS 'Text output of crm.fit_rows.';
COMMENT ON FUNCTION crm.purchase_days_in(cstring) IS 'Text input of crm.purchase_days.';
COMMENT ON FUNCTION crm.purchase_days_out(crm.purchase_days) IS 'Text output of crm.purchase_days.';
COMMENT ON FUNCTION crm.rfm_agg_trans(crm.rfm_state, timestamptz, numeric, timestamptz, text) IS 'Support function of aggregate crm.rfm_agg: transition (state crm.rfm_state, an expanded object changed in place).';
COMMENT ON FUNCTION crm.rfm_agg_combine(crm.rfm_state, crm.rfm_state) IS 'Support function of aggregate crm.rfm_agg: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.rfm_agg_final(crm.rfm_state) IS 'Support function of aggregate crm.rfm_agg: final RFM values.';
COMMENT ON FUNCTION crm.bgnbd_fit_trans(crm.fit_rows, integer, double precision, double precision) IS 'Support function of aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm.bgnbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) IS 'Support function of the weighted aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm.gamma_gamma_fit_trans(crm.fit_rows, integer, numeric) IS 'Support function of aggregate crm.gamma_gamma_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm.sbg_fit_trans(crm.fit_rows, integer, boolean) IS 'Support function of aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm.sbg_fit_weighted_trans(crm.fit_rows, integer, boolean, bigint) IS 'Support function of the weighted aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm.clv_fit_combine(crm.fit_rows, crm.fit_rows) IS 'Support function of the model fit aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.bgnbd_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.bgnbd_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm.gamma_gamma_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.gamma_gamma_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm.sbg_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.sbg_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm.bgnbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(bigint, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.bgnbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(text, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.bgnbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(uuid, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.bgnbd_purchases_combine(crm.purchase_days, crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.bgnbd_fit: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.bgnbd_purchases_final(crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.bgnbd_fit: customers from their purchase days, then the maximum-likelihood fit.';

-- The upgrade's helper functions (created above).
DROP FUNCTION crm.upgrade_type_support(name[]);
DROP FUNCTION crm.upgrade_aggregate_state(text, text, text, text, text, integer);

-- Ordering of the summary types.
-- As at the end of sql/summary_types.sql (the same statements), after every type of 0.2.0 and
-- its hash operator class exist.
-- Every type with a hash operator class also gets a default btree operator class, so ORDER BY a
-- summary, an aggregate's DISTINCT (count(DISTINCT s)), sort-based grouping and merge joins work:
--   crm.< crm.<= crm.> crm.>= and crm.<type>_cmp: the canonical binary forms compared byte by
--     byte, a total order that agrees with crm.= (it orders values, not the metrics they hold);
--   crm.<type>_btree_ops: the default btree operator class.
DO $summary_order$
DECLARE
    type_name name;
BEGIN
    FOR type_name IN
        SELECT t.typname FROM pg_type t
        WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype = 'b' AND t.typelem = 0
          AND EXISTS (SELECT FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                      WHERE c.opcintype = t.oid AND c.opcdefault AND a.amname = 'hash')
        ORDER BY t.typname
    LOOP
        EXECUTE format($sql$
            CREATE FUNCTION crm.%1$I(crm.%6$I, crm.%6$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_lt';
            CREATE FUNCTION crm.%2$I(crm.%6$I, crm.%6$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_le';
            CREATE FUNCTION crm.%3$I(crm.%6$I, crm.%6$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_gt';
            CREATE FUNCTION crm.%4$I(crm.%6$I, crm.%6$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ge';
            CREATE FUNCTION crm.%5$I(crm.%6$I, crm.%6$I) RETURNS integer
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_cmp';
            CREATE OPERATOR crm.< (
                LEFTARG = crm.%6$I, RIGHTARG = crm.%6$I, FUNCTION = crm.%1$I,
                COMMUTATOR = OPERATOR(crm.>), NEGATOR = OPERATOR(crm.>=),
                RESTRICT = scalarltsel, JOIN = scalarltjoinsel
            );
            CREATE OPERATOR crm.<= (
                LEFTARG = crm.%6$I, RIGHTARG = crm.%6$I, FUNCTION = crm.%2$I,
                COMMUTATOR = OPERATOR(crm.>=), NEGATOR = OPERATOR(crm.>),
                RESTRICT = scalarlesel, JOIN = scalarlejoinsel
            );
            CREATE OPERATOR crm.> (
                LEFTARG = crm.%6$I, RIGHTARG = crm.%6$I, FUNCTION = crm.%3$I,
                COMMUTATOR = OPERATOR(crm.<), NEGATOR = OPERATOR(crm.<=),
                RESTRICT = scalargtsel, JOIN = scalargtjoinsel
            );
            CREATE OPERATOR crm.>= (
                LEFTARG = crm.%6$I, RIGHTARG = crm.%6$I, FUNCTION = crm.%4$I,
                COMMUTATOR = OPERATOR(crm.<=), NEGATOR = OPERATOR(crm.<),
                RESTRICT = scalargesel, JOIN = scalargejoinsel
            );
            CREATE OPERATOR CLASS crm.%7$I DEFAULT FOR TYPE crm.%6$I USING btree AS
                OPERATOR 1 crm.< (crm.%6$I, crm.%6$I),
                OPERATOR 2 crm.<= (crm.%6$I, crm.%6$I),
                OPERATOR 3 crm.= (crm.%6$I, crm.%6$I),
                OPERATOR 4 crm.>= (crm.%6$I, crm.%6$I),
                OPERATOR 5 crm.> (crm.%6$I, crm.%6$I),
                FUNCTION 1 crm.%5$I(crm.%6$I, crm.%6$I);
            COMMENT ON FUNCTION crm.%1$I(crm.%6$I, crm.%6$I) IS
                'Whether the binary form of a crm.%6$s sorts before another''s (operator <, btree operator class)';
            COMMENT ON FUNCTION crm.%2$I(crm.%6$I, crm.%6$I) IS
                'Whether the binary form of a crm.%6$s sorts before or equals another''s (operator <=, btree operator class)';
            COMMENT ON FUNCTION crm.%3$I(crm.%6$I, crm.%6$I) IS
                'Whether the binary form of a crm.%6$s sorts after another''s (operator >, btree operator class)';
            COMMENT ON FUNCTION crm.%4$I(crm.%6$I, crm.%6$I) IS
                'Whether the binary form of a crm.%6$s sorts after or equals another''s (operator >=, btree operator class)';
            COMMENT ON FUNCTION crm.%5$I(crm.%6$I, crm.%6$I) IS
                'Compares the binary forms of two crm.%6$s values: -1, 0 or 1 (btree operator class)';
            COMMENT ON OPERATOR crm.< (crm.%6$I, crm.%6$I) IS
                'crm.%6$s sort order: the binary form sorts before (a total order agreeing with =, not a comparison of metrics)';
            COMMENT ON OPERATOR crm.<= (crm.%6$I, crm.%6$I) IS
                'crm.%6$s sort order: the binary form sorts before or is equal';
            COMMENT ON OPERATOR crm.> (crm.%6$I, crm.%6$I) IS
                'crm.%6$s sort order: the binary form sorts after';
            COMMENT ON OPERATOR crm.>= (crm.%6$I, crm.%6$I) IS
                'crm.%6$s sort order: the binary form sorts after or is equal';
            COMMENT ON OPERATOR CLASS crm.%7$I USING btree IS
                'Default btree operator class of crm.%6$s (ORDER BY, count(DISTINCT ...), sort-based GROUP BY, merge joins): the binary forms compared byte by byte';
            COMMENT ON OPERATOR FAMILY crm.%7$I USING btree IS
                'Btree operator family of crm.%6$s';
            $sql$, type_name || '_lt', type_name || '_le', type_name || '_gt', type_name || '_ge',
            type_name || '_cmp', type_name, type_name || '_btree_ops');
    END LOOP;
END
$summary_order$;

-- Conversion rate, NPS bounds and significance, Gamma-Gamma with zero spend.
-- As in sql/ratios.sql, sql/survey.sql and sql/clv.sql.
-- crm.conversion_rate(boolean): a share-of-true aggregate on the support functions and state of
-- crm.win_rate(boolean) and crm.renewal_rate(boolean); the comments that name the aggregates
-- sharing them are updated.
CREATE AGGREGATE crm.conversion_rate(converted boolean) (
    SFUNC = crm.share_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm.share_final,
    COMBINEFUNC = crm.share_combine,
    MSFUNC = crm.share_trans,
    MINVFUNC = crm.share_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm.share_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.conversion_rate(boolean) IS
    'Conversion rate: share of true among non-NULL rows (converted / decided rows; NULL rows, e.g. leads still open, are skipped); NULL without such rows. Example: SELECT source, crm.conversion_rate(converted) FROM leads GROUP BY source;';
COMMENT ON AGGREGATE crm.renewal_rate(boolean) IS
    'Renewal rate: share of true among non-NULL rows; NULL without such rows. Example: SELECT crm.renewal_rate(renewed) FROM contract_renewals;';
COMMENT ON FUNCTION crm.share_trans(internal, boolean) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.share_inverse(internal, boolean) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): inverse transition for window frames.';
COMMENT ON FUNCTION crm.share_final(internal) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): moving-aggregate final share (window frames).';
COMMENT ON TYPE crm.share_state IS
    'Transition state of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): true rows and non-NULL rows; text form {"true_rows":3,"rows":5} (Citus ships partial states in this form).';
COMMENT ON FUNCTION crm.share_trans(crm.share_state, boolean) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm.share_combine(crm.share_state, crm.share_state) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm.share_final(crm.share_state) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): final share.';
-- The sBG fit's example names the sample table of contract renewals.
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean) IS
    'Maximum-likelihood sBG fit: one row per customer with the renewals made and whether they churned (false = still active). Example: SELECT crm.sbg_fit(renewals, churned) FROM (SELECT contract_id, (count(*) FILTER (WHERE renewed))::integer AS renewals, coalesce(bool_or(NOT renewed), false) AS churned FROM contract_renewals GROUP BY contract_id) c;';

-- crm.nps_low and crm.nps_high: the adjusted-Wald bounds of crm.nps_interval as scalars.
CREATE FUNCTION crm."nps_low"(
	"summary" crm.nps_summary,
	"confidence" double precision DEFAULT 0.95
) RETURNS double precision
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'nps_low_wrapper';
CREATE FUNCTION crm."nps_high"(
	"summary" crm.nps_summary,
	"confidence" double precision DEFAULT 0.95
) RETURNS double precision
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'nps_high_wrapper';
COMMENT ON FUNCTION crm.nps_low(crm.nps_summary, double precision) IS
    'Lower bound of the adjusted Wald interval of the NPS in points (the low of crm.nps_interval, as a scalar for dashboards); NULL without answers; confidence defaults to 0.95. Example: SELECT crm.nps_low(crm.nps_agg(nps_score)) FROM survey_responses;';
COMMENT ON FUNCTION crm.nps_high(crm.nps_summary, double precision) IS
    'Upper bound of the adjusted Wald interval of the NPS in points (the high of crm.nps_interval, as a scalar for dashboards); NULL without answers; confidence defaults to 0.95. Example: SELECT crm.nps_high(crm.nps_agg(nps_score)) FROM survey_responses;';

-- crm.nps_difference gains a fifth result column, significant boolean. DROP + CREATE would fail
-- (or, with CASCADE, drop users' views: a view over crm.nps_difference(...) d, d.* included,
-- depends on the function), and CREATE OR REPLACE cannot change the result columns. So the
-- catalog row is updated in place, keeping the OID: the result columns are the OUT arguments
-- (proallargtypes, proargmodes, proargnames; the result type stays SETOF record, the C entry
-- point keeps its name). A stored view keeps the four columns it named when it was created
-- (and reads them as before); a new query sees five. boolean is pinned: no pg_depend row.
UPDATE pg_catalog.pg_proc
SET proallargtypes = ARRAY['crm.nps_summary'::pg_catalog.regtype, 'crm.nps_summary'::pg_catalog.regtype,
                           'double precision'::pg_catalog.regtype, 'double precision'::pg_catalog.regtype,
                           'double precision'::pg_catalog.regtype, 'double precision'::pg_catalog.regtype,
                           'double precision'::pg_catalog.regtype, 'boolean'::pg_catalog.regtype]::pg_catalog.oid[],
    proargmodes = '{i,i,i,t,t,t,t,t}'::pg_catalog."char"[],
    proargnames = '{a,b,confidence,difference,margin,z,p_value,significant}'::pg_catalog.text[]
WHERE oid = 'crm.nps_difference(crm.nps_summary, crm.nps_summary, double precision)'::pg_catalog.regprocedure;
COMMENT ON FUNCTION crm.nps_difference(crm.nps_summary, crm.nps_summary, double precision) IS
    'Is the change of NPS from a (before) to b (after) significant? One row: difference = nps(b) - nps(a) in points, margin = z_confidence * sqrt(se_a^2 + se_b^2) (Wald, independent samples), z = difference / se, two-sided p_value, significant = |difference| > margin (p_value < 1 - confidence); all NULL when either side has no answers, z, p_value and significant NULL when se is 0 (every answer in one category). Arguments are (previous, current), unlike crm.growth_rate(current, previous). Example: SELECT * FROM crm.nps_difference(q3, q4);';

-- crm.expected_average_value and crm.clv accept a mean spend of 0 (the function bodies are
-- in the library; only the comment changes).
COMMENT ON FUNCTION crm.expected_average_value(crm.gamma_gamma_model, integer, numeric) IS
    'E[Z | x, m]: expected mean spend per transaction of a customer with frequency x and mean repeat spend m; p(v + x m)/(p x + q - 1), as lifetimes'' conditional_expected_average_profit; m = 0 (free or refunded repeat orders) gives p v/(p x + q - 1), a negative m is an error (22023).';

-- Local bounds of churn_series, late waiting tickets, unknown reply counts.
-- crm.churn_series takes date bounds read as local dates in its time zone; crm.service_agg and
-- the one-step crm.sla_attainment take as_of; crm.sla_counts reads met, breached and pending
-- tickets. The changed rules of existing functions (a from that is not local midnight with
-- whole-day steps is an error, no period is shorter than its step, a NULL agent_replies leaves
-- the ticket out of fcr_rate) live in the library; their comments change.
CREATE FUNCTION crm."churn_series"(
	"summary" crm.customer_summary,
	"from" date,
	"to" date,
	"step" interval,
	"denominator" text DEFAULT 'start',
	"time_zone" text DEFAULT current_setting('TimeZone')
) RETURNS TABLE (
	"period_start" timestamp with time zone,
	"period_end" timestamp with time zone,
	"customers_at_start" bigint,
	"customers_at_end" bigint,
	"new_customers" bigint,
	"churned_customers" bigint,
	"retention_rate" double precision,
	"churn_rate" double precision
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'churn_series_dates_wrapper';
CREATE FUNCTION crm."sla_counts"(
	"summary" crm.service_summary,
	"target" interval,
	"metric" text DEFAULT 'first_response'
) RETURNS TABLE (
	"met" bigint,
	"breached" bigint,
	"pending" bigint
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'sla_counts_wrapper';
CREATE FUNCTION crm.service_agg_as_of_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar, timestamptz)
    RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_service_agg_as_of_trans';
CREATE FUNCTION crm.sla_as_of_trans(internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz)
    RETURNS internal IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sla_as_of_trans';
CREATE FUNCTION crm.sla_as_of_inverse(internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz)
    RETURNS internal IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sla_as_of_inverse';
CREATE FUNCTION crm.sla_as_of_trans(crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz)
    RETURNS crm.share_state IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sla_as_of_state_trans';
CREATE AGGREGATE crm.service_agg(created_at timestamptz, first_response_at timestamptz,
        resolved_at timestamptz, agent_replies integer, reopened boolean, cal crm.business_calendar,
        as_of timestamptz) (
    SFUNC = crm.service_agg_as_of_trans,
    STYPE = crm.service_summary,
    FINALFUNC = crm.service_final,
    COMBINEFUNC = crm.service_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.sla_attainment(created_at timestamptz, first_response_at timestamptz, target interval,
        cal crm.business_calendar, as_of timestamptz) (
    SFUNC = crm.sla_as_of_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm.service_share_final,
    COMBINEFUNC = crm.service_share_combine,
    MSFUNC = crm.sla_as_of_trans,
    MINVFUNC = crm.sla_as_of_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm.service_share_final,
    PARALLEL = SAFE
);
-- Comments (as in sql/customers.sql and sql/service.sql).
COMMENT ON FUNCTION crm.churn_series(crm.customer_summary, timestamptz, timestamptz, interval, text, text) IS
    'One row per half-open period [period_start, period_start + step) from "from" while period_start + step <= "to" (stepping like generate_series, calendar steps taken in time_zone, default the session''s TimeZone; no row is shorter than its step, so a "to" off the step grid ends the series at the last whole period): customers at start and end, new, churned, retention and churn rates (churn with denominator ''start'', ''average'' or ''start_plus_new''); each row equals the one-step aggregates over that period. With a step of whole days, weeks or months, "from" must be local midnight in time_zone (22023 otherwise); pass dates to name local days.';
COMMENT ON FUNCTION crm.churn_series(crm.customer_summary, date, date, interval, text, text) IS
    'crm.churn_series with date bounds read as local dates in time_zone (default the session''s TimeZone): rows start at local midnight of "from" there and step in that zone until local midnight of "to" (no row shorter than its step). Example: SELECT * FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM customers), date ''2025-10-01'', date ''2026-01-01'', ''1 month'', ''average'', ''America/New_York'');';
COMMENT ON AGGREGATE crm.fcr_rate(integer, boolean, boolean) IS
    'First-contact resolution rate: among resolved rows, the share not reopened with at most one agent reply. A NULL agent_replies is unknown: that row is left out (of both sides); NULL reopened reads as false. Example: SELECT crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL) FROM tickets;';
COMMENT ON AGGREGATE crm.service_agg(timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar, timestamptz) IS
    'Summary of support tickets (crm.service_summary) as they stood at as_of, durations in business time of each row''s calendar: a response or resolution after as_of has not happened yet, a ticket created after as_of is left out, and each ticket still waiting keeps the business time it had waited by as_of, so crm.sla_counts and crm.sla_attainment count it as breached once past the target. Example: SELECT crm.service_agg(t.created_at, t.first_response_at, t.resolved_at, t.agent_replies, t.reopened, teams.calendar, now()) FROM tickets t JOIN teams USING (team_id);';
COMMENT ON AGGREGATE crm.sla_attainment(timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) IS
    'SLA attainment as help desks count it at as_of: met / (met + breached), where an answered ticket is met when its first response came within the row''s target (business time of the row''s calendar), and a ticket still unanswered at as_of is breached once it has waited longer than the target (pending, and left out, while within it). Example: SELECT crm.sla_attainment(t.created_at, t.first_response_at, ''4 hours'', teams.calendar, now()) FROM tickets t JOIN teams USING (team_id);';
COMMENT ON FUNCTION crm.sla_attainment(crm.service_summary, interval, text) IS
    'SLA attainment, met / (met + breached) as crm.sla_counts counts them: without as_of, the share of answered (metric ''first_response'', the default) or resolved (''resolution'') tickets whose duration is at most the target; for a summary built with as_of, tickets still waiting past the target at as_of count as breached. Exactly on target counts as met.';
COMMENT ON FUNCTION crm.sla_counts(crm.service_summary, interval, text) IS
    'Tickets that met the target (answered, or resolved for metric ''resolution'', within it), breached it (answered late, or for a summary built with as_of still waiting past it at as_of) and are pending (still waiting within it at as_of; without as_of, every ticket still waiting). Example: SELECT * FROM crm.sla_counts(summary, ''2 hours'');';
COMMENT ON FUNCTION crm.fcr_rate(crm.service_summary) IS
    'First-contact resolution rate: resolved tickets not reopened with at most one agent reply, over resolved tickets; resolved tickets whose agent_replies was NULL (unknown) are left out of both sides.';
COMMENT ON FUNCTION crm.service_agg_as_of_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar, timestamptz) IS
    'Support function of aggregate crm.service_agg with a calendar and as_of: transition.';
COMMENT ON FUNCTION crm.sla_as_of_trans(internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) IS 'Support function of aggregate crm.sla_attainment with a calendar and as_of: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm.sla_as_of_inverse(internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) IS 'Support function of aggregate crm.sla_attainment with a calendar and as_of: inverse transition for window frames.';
COMMENT ON FUNCTION crm.sla_as_of_trans(crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) IS 'Support function of aggregate crm.sla_attainment with a calendar and as_of: transition (state crm.share_state, changed in place).';

-- crm.open_pipeline_velocity: the velocity of the deals still open, as CRMs show it.
CREATE FUNCTION crm."open_pipeline_velocity"(
	"summary" crm.pipeline_summary,
	"per" interval DEFAULT '1 day'
) RETURNS numeric
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'open_pipeline_velocity_wrapper';
COMMENT ON FUNCTION crm.open_pipeline_velocity(crm.pipeline_summary, interval) IS
    'Open pipeline velocity, as CRMs show it: open deals x win_rate x average_deal_size / (sales_cycle / per), the value the deals still open are expected to bring per per (default ''1 day''); NULL when nothing was won. crm.pipeline_velocity counts every opportunity instead.';

-- Horizons also as intervals (crm.expected_purchases and the discounted crm.clv), as a fresh
-- CREATE EXTENSION makes them, with their comments (as in sql/clv.sql).
CREATE FUNCTION crm."expected_purchases"("model" crm.bgnbd_model, "horizon" interval, "time_unit" text)
    RETURNS double precision
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases_interval_wrapper';
CREATE FUNCTION crm."expected_purchases"("model" crm.bgnbd_model, "horizon" interval, "time_unit" text,
    "frequency" INT, "recency" double precision, "t" double precision)
    RETURNS double precision
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgnbd_conditional_expected_purchases_interval_wrapper';
CREATE FUNCTION crm."clv"("bg" crm.bgnbd_model, "gg" crm.gamma_gamma_model, "frequency" INT,
    "recency" double precision, "t" double precision, "monetary_value" NUMERIC, "horizon" interval,
    "monthly_discount_rate" double precision, "time_unit" text)
    RETURNS double precision
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'clv_discounted_interval_wrapper';
COMMENT ON FUNCTION crm.clv(crm.bgnbd_model, crm.gamma_gamma_model, integer, double precision, double precision, numeric, interval, double precision, text) IS
    'Discounted CLV of a customer over a horizon interval (months of 365.25/12 days): the whole months as the horizon_months form sums them, then a final partial month discounted at the horizon; at most 100 years. Example: crm.clv(bg, gg, frequency, recency, t, monetary_value, interval ''1 year'', 0.01, ''week'').';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgnbd_model, interval, text) IS
    'E[X(t)]: expected purchases of a new customer within the horizon interval, read in time_unit (day, week, month, year: the unit the model was fitted in; a year is 365.25 days, a month 365.25/12). Example: crm.expected_purchases(m, interval ''52 weeks'', ''week'').';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgnbd_model, interval, text, integer, double precision, double precision) IS
    'E[Y(t) | x, t_x, T]: expected purchases within the horizon interval, read in time_unit (the unit of the model, recency and t), of a customer with that frequency, recency and t (BG/NBD).';
