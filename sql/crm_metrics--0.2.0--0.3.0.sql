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

-- Penalized fits (docs/clv.md, "Penalized fits"): a trailing penalizer on every fit aggregate,
-- integer-weight forms of crm.bgnbd_fit and crm.sbg_fit (without them Postgres would resolve an
-- integer weight to the new double precision penalizer), and crm.fit_diagnostics. The states
-- crm.fit_rows and crm.purchase_days carry the penalizer in new binary forms and still read
-- 0.2.0's; the existing combine and final functions serve the new aggregates unchanged in SQL.
CREATE FUNCTION crm_internal.bgnbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_integer_weighted_trans';
CREATE FUNCTION crm_internal.sbg_fit_integer_weighted_trans(crm.fit_rows, integer, boolean, integer)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sbg_fit_integer_weighted_trans';
CREATE FUNCTION crm_internal.bgnbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_penalized_trans';
CREATE FUNCTION crm_internal.bgnbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_weighted_penalized_trans';
CREATE FUNCTION crm_internal.bgnbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_bigint_penalized_trans';
CREATE FUNCTION crm_internal.bgnbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_text_penalized_trans';
CREATE FUNCTION crm_internal.bgnbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_purchases_uuid_penalized_trans';
CREATE FUNCTION crm_internal.gamma_gamma_fit_penalized_trans(crm.fit_rows, integer, numeric, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_penalized_trans';
CREATE FUNCTION crm_internal.sbg_fit_penalized_trans(crm.fit_rows, integer, boolean, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sbg_fit_penalized_trans';
CREATE FUNCTION crm_internal.sbg_fit_weighted_penalized_trans(crm.fit_rows, integer, boolean, bigint, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sbg_fit_weighted_penalized_trans';

CREATE AGGREGATE crm.bgnbd_fit(frequency integer, recency double precision, t double precision, weight integer) (
    SFUNC = crm_internal.bgnbd_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgnbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.sbg_fit(periods_survived integer, churned boolean, weight integer) (
    SFUNC = crm_internal.sbg_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.sbg_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(frequency integer, recency double precision, t double precision, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgnbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(frequency integer, recency double precision, t double precision, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgnbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_purchases_bigint_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_purchases_text_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_purchases_uuid_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.gamma_gamma_fit(frequency integer, monetary_value numeric, penalizer double precision) (
    SFUNC = crm_internal.gamma_gamma_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.gamma_gamma_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.sbg_fit(periods_survived integer, churned boolean, penalizer double precision) (
    SFUNC = crm_internal.sbg_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.sbg_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.sbg_fit(periods_survived integer, churned boolean, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.sbg_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.sbg_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE FUNCTION crm."fit_diagnostics"("model" crm.bgnbd_model)
    RETURNS TABLE ("converged" bool, "iterations" INT, "gradient_norm" double precision,
                   "log_likelihood" double precision, "customers" bigint, "penalizer" double precision)
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgnbd_fit_diagnostics_wrapper';
CREATE FUNCTION crm."fit_diagnostics"("model" crm.gamma_gamma_model)
    RETURNS TABLE ("converged" bool, "iterations" INT, "gradient_norm" double precision,
                   "log_likelihood" double precision, "customers" bigint, "penalizer" double precision)
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'gamma_gamma_fit_diagnostics_wrapper';
CREATE FUNCTION crm."fit_diagnostics"("model" crm.sbg_model)
    RETURNS TABLE ("converged" bool, "iterations" INT, "gradient_norm" double precision,
                   "log_likelihood" double precision, "customers" bigint, "penalizer" double precision)
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'sbg_fit_diagnostics_wrapper';
COMMENT ON AGGREGATE crm.bgnbd_fit(integer, double precision, double precision, integer) IS
    'Maximum-likelihood BG/NBD fit over rows (frequency, recency, t) that each stand for weight customers (an integer weight; a double precision fourth argument is the penalizer).';
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean, integer) IS
    'Maximum-likelihood sBG fit over rows (renewals made, churned) that each stand for weight customers (an integer weight; a double precision third argument is the penalizer). Example: SELECT crm.sbg_fit(renewals, renewals < 7, customers) FROM (VALUES (0, 369), (7, 241)) v(renewals, customers);';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) IS 'Support function of the integer-weighted aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.sbg_fit_integer_weighted_trans(crm.fit_rows, integer, boolean, integer) IS 'Support function of the integer-weighted aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON AGGREGATE crm.bgnbd_fit(integer, double precision, double precision, double precision) IS
    'Penalized BG/NBD fit over customers (frequency, recency, t): minimizes the mean negative log-likelihood + penalizer * (r^2 + (alpha / max t)^2 + a^2 + b^2), as lifetimes'' penalizer_coef; the penalizer is the same on every row (NULL: 0). Example: SELECT crm.bgnbd_fit(frequency, recency, t, 0.001) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.bgnbd_fit(integer, double precision, double precision, bigint, double precision) IS
    'Penalized BG/NBD fit over rows (frequency, recency, t) that each stand for weight customers; the penalizer as in crm.bgnbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.bgnbd_fit(bigint, timestamptz, timestamptz, text, double precision) IS
    'Penalized BG/NBD fit straight from purchases (bigint customer ids); the penalizer as in crm.bgnbd_fit(frequency, recency, t, penalizer). Example: SELECT crm.bgnbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'', 0.001) FROM orders;';
COMMENT ON AGGREGATE crm.bgnbd_fit(text, timestamptz, timestamptz, text, double precision) IS
    'Penalized BG/NBD fit straight from purchases (text customer ids); the penalizer as in crm.bgnbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.bgnbd_fit(uuid, timestamptz, timestamptz, text, double precision) IS
    'Penalized BG/NBD fit straight from purchases (uuid customer ids); the penalizer as in crm.bgnbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.gamma_gamma_fit(integer, numeric, double precision) IS
    'Penalized Gamma-Gamma spend fit over repeat buyers: minimizes the mean negative log-likelihood + penalizer * (p^2 + q^2 + v^2), as lifetimes'' penalizer_coef (v in money units); the penalizer is the same on every row (NULL: 0). Example: SELECT crm.gamma_gamma_fit(frequency, monetary_value, 0.001) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean, double precision) IS
    'Penalized sBG fit: minimizes the mean negative log-likelihood + penalizer * (alpha^2 + beta^2); the penalizer is the same on every row (NULL: 0). Example: SELECT crm.sbg_fit(renewals, churned, 0.001) FROM contracts;';
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean, bigint, double precision) IS
    'Penalized sBG fit over rows (renewals made, churned) that each stand for weight customers; the penalizer as in crm.sbg_fit(periods_survived, churned, penalizer).';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) IS 'Support function of the penalized aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.bgnbd_fit(bigint, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.bgnbd_fit(text, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.bgnbd_fit(uuid, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.gamma_gamma_fit_penalized_trans(crm.fit_rows, integer, numeric, double precision) IS 'Support function of the penalized aggregate crm.gamma_gamma_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.sbg_fit_penalized_trans(crm.fit_rows, integer, boolean, double precision) IS 'Support function of the penalized aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.sbg_fit_weighted_penalized_trans(crm.fit_rows, integer, boolean, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm.fit_diagnostics(crm.bgnbd_model) IS
    'Fit diagnostics of a BG/NBD model: converged, optimizer iterations, gradient norm, log-likelihood (without the penalty), customers and the penalizer; NULLs and 0 customers for a model built from parameters. Example: SELECT d.* FROM clv_models, crm.fit_diagnostics(bg) d;';
COMMENT ON FUNCTION crm.fit_diagnostics(crm.gamma_gamma_model) IS
    'Fit diagnostics of a Gamma-Gamma model: converged, optimizer iterations, gradient norm, log-likelihood (without the penalty), repeat buyers and the penalizer; NULLs and 0 customers for a model built from parameters.';
COMMENT ON FUNCTION crm.fit_diagnostics(crm.sbg_model) IS
    'Fit diagnostics of an sBG model: converged, optimizer iterations, gradient norm, log-likelihood (without the penalty), customers and the penalizer; NULLs and 0 customers for a model built from parameters.';

-- Survival analysis (docs/survival.md): the type crm.survival_summary with its aggregates
-- crm.survival_agg (customers observed at a date, or any duration with its event flag) and
-- crm.rollup, and what reads it: the Kaplan-Meier curve with its interval, survival at a
-- duration, the median and its interval, the restricted mean, the life table and the log-rank
-- test.
CREATE TYPE crm.survival_summary;

CREATE FUNCTION crm_internal.survival_summary_in(
    "input" cstring
) RETURNS crm.survival_summary
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'survival_summary_in_wrapper';

CREATE FUNCTION crm_internal.survival_summary_out(
    "input" crm.survival_summary
) RETURNS cstring
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'survival_summary_out_wrapper';

CREATE TYPE crm.survival_summary (
    INTERNALLENGTH = variable,
    INPUT = crm_internal.survival_summary_in,
    OUTPUT = crm_internal.survival_summary_out,
    STORAGE = extended
);

CREATE FUNCTION crm_internal.survival_summary_recv(internal) RETURNS crm.survival_summary
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_survival_summary_recv';
CREATE FUNCTION crm_internal.survival_summary_send(crm.survival_summary) RETURNS bytea
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_send';
ALTER TYPE crm.survival_summary SET (RECEIVE = crm_internal.survival_summary_recv, SEND = crm_internal.survival_summary_send);
COMMENT ON FUNCTION crm_internal.survival_summary_recv(internal) IS
    'Binary receive function of crm.survival_summary: reads and validates the binary form';
COMMENT ON FUNCTION crm_internal.survival_summary_send(crm.survival_summary) IS
    'Binary send function of crm.survival_summary: the stored binary form';
COMMENT ON FUNCTION crm_internal.survival_summary_in(cstring) IS 'Text input of crm.survival_summary.';
COMMENT ON FUNCTION crm_internal.survival_summary_out(crm.survival_summary) IS 'Text output of crm.survival_summary.';
CREATE FUNCTION crm_internal.survival_summary_eq(crm.survival_summary, crm.survival_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_eq';
CREATE FUNCTION crm_internal.survival_summary_ne(crm.survival_summary, crm.survival_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ne';
CREATE FUNCTION crm_internal.survival_summary_hash(crm.survival_summary) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash';
CREATE FUNCTION crm_internal.survival_summary_hash_extended(crm.survival_summary, bigint) RETURNS bigint
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash_extended';
CREATE OPERATOR crm.= (
    LEFTARG = crm.survival_summary, RIGHTARG = crm.survival_summary, FUNCTION = crm_internal.survival_summary_eq,
    COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR crm.<> (
    LEFTARG = crm.survival_summary, RIGHTARG = crm.survival_summary, FUNCTION = crm_internal.survival_summary_ne,
    COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS crm.survival_summary_hash_ops DEFAULT FOR TYPE crm.survival_summary USING hash AS
    OPERATOR 1 crm.= (crm.survival_summary, crm.survival_summary),
    FUNCTION 1 crm_internal.survival_summary_hash(crm.survival_summary),
    FUNCTION 2 crm_internal.survival_summary_hash_extended(crm.survival_summary, bigint);
COMMENT ON FUNCTION crm_internal.survival_summary_eq(crm.survival_summary, crm.survival_summary) IS
    'Whether two crm.survival_summary values have the same binary form (operator =)';
COMMENT ON FUNCTION crm_internal.survival_summary_ne(crm.survival_summary, crm.survival_summary) IS
    'Whether two crm.survival_summary values have different binary forms (operator <>)';
COMMENT ON FUNCTION crm_internal.survival_summary_hash(crm.survival_summary) IS
    'Hash of the binary form of a crm.survival_summary (hash operator class)';
COMMENT ON FUNCTION crm_internal.survival_summary_hash_extended(crm.survival_summary, bigint) IS
    'Seeded 64-bit hash of the binary form of a crm.survival_summary (hash operator class)';
COMMENT ON OPERATOR crm.= (crm.survival_summary, crm.survival_summary) IS
    'Equal crm.survival_summary values: the same binary form';
COMMENT ON OPERATOR crm.<> (crm.survival_summary, crm.survival_summary) IS
    'Different crm.survival_summary values: different binary forms';
COMMENT ON OPERATOR CLASS crm.survival_summary_hash_ops USING hash IS
    'Default hash operator class of crm.survival_summary (DISTINCT, GROUP BY, UNION, IN, hash joins)';
COMMENT ON OPERATOR FAMILY crm.survival_summary_hash_ops USING hash IS
    'Hash operator family of crm.survival_summary';
CREATE FUNCTION crm_internal.survival_summary_lt(crm.survival_summary, crm.survival_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_lt';
CREATE FUNCTION crm_internal.survival_summary_le(crm.survival_summary, crm.survival_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_le';
CREATE FUNCTION crm_internal.survival_summary_gt(crm.survival_summary, crm.survival_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_gt';
CREATE FUNCTION crm_internal.survival_summary_ge(crm.survival_summary, crm.survival_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ge';
CREATE FUNCTION crm_internal.survival_summary_cmp(crm.survival_summary, crm.survival_summary) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_cmp';
CREATE OPERATOR crm.< (
    LEFTARG = crm.survival_summary, RIGHTARG = crm.survival_summary, FUNCTION = crm_internal.survival_summary_lt,
    COMMUTATOR = OPERATOR(crm.>), NEGATOR = OPERATOR(crm.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR crm.<= (
    LEFTARG = crm.survival_summary, RIGHTARG = crm.survival_summary, FUNCTION = crm_internal.survival_summary_le,
    COMMUTATOR = OPERATOR(crm.>=), NEGATOR = OPERATOR(crm.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR crm.> (
    LEFTARG = crm.survival_summary, RIGHTARG = crm.survival_summary, FUNCTION = crm_internal.survival_summary_gt,
    COMMUTATOR = OPERATOR(crm.<), NEGATOR = OPERATOR(crm.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR crm.>= (
    LEFTARG = crm.survival_summary, RIGHTARG = crm.survival_summary, FUNCTION = crm_internal.survival_summary_ge,
    COMMUTATOR = OPERATOR(crm.<=), NEGATOR = OPERATOR(crm.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR CLASS crm.survival_summary_btree_ops DEFAULT FOR TYPE crm.survival_summary USING btree AS
    OPERATOR 1 crm.< (crm.survival_summary, crm.survival_summary),
    OPERATOR 2 crm.<= (crm.survival_summary, crm.survival_summary),
    OPERATOR 3 crm.= (crm.survival_summary, crm.survival_summary),
    OPERATOR 4 crm.>= (crm.survival_summary, crm.survival_summary),
    OPERATOR 5 crm.> (crm.survival_summary, crm.survival_summary),
    FUNCTION 1 crm_internal.survival_summary_cmp(crm.survival_summary, crm.survival_summary);
COMMENT ON FUNCTION crm_internal.survival_summary_lt(crm.survival_summary, crm.survival_summary) IS
    'Whether the binary form of a crm.survival_summary sorts before another''s (operator <, btree operator class)';
COMMENT ON FUNCTION crm_internal.survival_summary_le(crm.survival_summary, crm.survival_summary) IS
    'Whether the binary form of a crm.survival_summary sorts before or equals another''s (operator <=, btree operator class)';
COMMENT ON FUNCTION crm_internal.survival_summary_gt(crm.survival_summary, crm.survival_summary) IS
    'Whether the binary form of a crm.survival_summary sorts after another''s (operator >, btree operator class)';
COMMENT ON FUNCTION crm_internal.survival_summary_ge(crm.survival_summary, crm.survival_summary) IS
    'Whether the binary form of a crm.survival_summary sorts after or equals another''s (operator >=, btree operator class)';
COMMENT ON FUNCTION crm_internal.survival_summary_cmp(crm.survival_summary, crm.survival_summary) IS
    'Compares the binary forms of two crm.survival_summary values: -1, 0 or 1 (btree operator class)';
COMMENT ON OPERATOR crm.< (crm.survival_summary, crm.survival_summary) IS
    'crm.survival_summary sort order: the binary form sorts before (a total order agreeing with =, not a comparison of metrics)';
COMMENT ON OPERATOR crm.<= (crm.survival_summary, crm.survival_summary) IS
    'crm.survival_summary sort order: the binary form sorts before or is equal';
COMMENT ON OPERATOR crm.> (crm.survival_summary, crm.survival_summary) IS
    'crm.survival_summary sort order: the binary form sorts after';
COMMENT ON OPERATOR crm.>= (crm.survival_summary, crm.survival_summary) IS
    'crm.survival_summary sort order: the binary form sorts after or is equal';
COMMENT ON OPERATOR CLASS crm.survival_summary_btree_ops USING btree IS
    'Default btree operator class of crm.survival_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR FAMILY crm.survival_summary_btree_ops USING btree IS
    'Btree operator family of crm.survival_summary';

CREATE FUNCTION crm.logrank_test(
    "a" crm.survival_summary,
    "b" crm.survival_summary
) RETURNS TABLE (
    "chi_square" double precision, 
    "p_value" double precision 
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'logrank_test_wrapper';

CREATE FUNCTION crm.survival_curve(
    "summary" crm.survival_summary,
    "confidence" double precision DEFAULT 0.95
) RETURNS TABLE (
    "time" interval, 
    "at_risk" bigint, 
    "events" bigint, 
    "censored" bigint, 
    "survival" double precision, 
    "low" double precision, 
    "high" double precision 
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'crm_survival_curve';

CREATE FUNCTION crm.survival_at(
    "summary" crm.survival_summary,
    "at" interval
) RETURNS double precision
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'survival_at_wrapper';

CREATE FUNCTION crm.restricted_mean_survival(
    "summary" crm.survival_summary,
    "horizon" interval
) RETURNS interval
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'restricted_mean_survival_wrapper';

CREATE FUNCTION crm.median_survival_interval(
    "summary" crm.survival_summary,
    "confidence" double precision DEFAULT 0.95
) RETURNS TABLE (
    "low" interval, 
    "high" interval 
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'median_survival_interval_wrapper';

CREATE FUNCTION crm.life_table(
    "summary" crm.survival_summary,
    "step" interval,
    "periods" INT
) RETURNS TABLE (
    "period" INT, 
    "period_start" interval, 
    "at_risk" bigint, 
    "events" bigint, 
    "censored" bigint, 
    "hazard" double precision, 
    "survival" double precision 
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'crm_life_table';

CREATE FUNCTION crm.median_survival(
    "summary" crm.survival_summary
) RETURNS interval
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'median_survival_wrapper';

CREATE FUNCTION crm_internal.survival_customer_trans(crm.survival_summary, timestamptz, timestamptz, timestamptz) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_survival_customer_trans';

CREATE FUNCTION crm_internal.survival_duration_trans(crm.survival_summary, interval, boolean) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_survival_duration_trans';

CREATE FUNCTION crm_internal.survival_rollup_trans(crm.survival_summary, crm.survival_summary) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_survival_rollup_trans';

CREATE FUNCTION crm_internal.survival_combine(crm.survival_summary, crm.survival_summary) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_survival_combine';

CREATE FUNCTION crm_internal.survival_final(crm.survival_summary) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_survival_final';

CREATE AGGREGATE crm.survival_agg(started_at timestamptz, ended_at timestamptz, as_of timestamptz) (
    SFUNC = crm_internal.survival_customer_trans,
    STYPE = crm.survival_summary,
    FINALFUNC = crm_internal.survival_final,
    COMBINEFUNC = crm_internal.survival_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.survival_agg(duration interval, event boolean) (
    SFUNC = crm_internal.survival_duration_trans,
    STYPE = crm.survival_summary,
    FINALFUNC = crm_internal.survival_final,
    COMBINEFUNC = crm_internal.survival_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.survival_summary) (
    SFUNC = crm_internal.survival_rollup_trans,
    STYPE = crm.survival_summary,
    FINALFUNC = crm_internal.survival_final,
    COMBINEFUNC = crm_internal.survival_combine,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.survival_summary IS
    'How long rows lasted, censoring-aware: per distinct duration (microseconds) the rows that ended there with the event and the rows censored there; read with crm.survival_curve, crm.survival_at, crm.median_survival, crm.median_survival_interval, crm.restricted_mean_survival, crm.life_table and crm.logrank_test, merge with crm.rollup. Text form {"version":1,"durations":[[microseconds,events,censored],...]}.';
COMMENT ON AGGREGATE crm.survival_agg(timestamptz, timestamptz, timestamptz) IS
    'Survival summary of customers observed at as_of: the duration is ended_at - started_at when ended_at <= as_of (the customer left: an event), else as_of - started_at (still a customer: censored); ended_at NULL is a customer still active; rows starting after as_of and rows lasting no time are skipped; ended_at < started_at is 22023, an infinite duration 22008. Example: SELECT * FROM crm.survival_curve((SELECT crm.survival_agg(started_at, ended_at, now()) FROM subscriptions));';
COMMENT ON AGGREGATE crm.survival_agg(interval, boolean) IS
    'Survival summary of any time to event: duration with event true (it happened) or false (censored: still open when observed); a day counts 24 hours, an interval with months is 22023 (a month has no fixed length), a negative one 22023; zero durations and rows with a NULL are skipped. Example: crm.survival_agg(coalesce(resolved_at, now()) - created_at, resolved_at IS NOT NULL) over tickets.';
COMMENT ON AGGREGATE crm.rollup(crm.survival_summary) IS
    'Merges survival summaries (their counts add up), e.g. per-month summaries into one.';
COMMENT ON FUNCTION crm.survival_curve(crm.survival_summary, double precision) IS
    'Kaplan-Meier curve, one row per distinct duration: at_risk (rows lasting at least time), events, censored, survival, and the exponential-Greenwood (log-log) interval at confidence (default 0.95; outside (0, 1) is 22003), as lifelines KaplanMeierFitter reports it (events before censorings at one time; [1, 1] where survival is 1, [0, 0] where it is 0).';
COMMENT ON FUNCTION crm.survival_at(crm.survival_summary, interval) IS
    'Kaplan-Meier survival at a duration (the events at that duration count); 1 before the first event; negative is 22023.';
COMMENT ON FUNCTION crm.median_survival(crm.survival_summary) IS
    'Median survival: the smallest duration whose Kaplan-Meier survival is at most 0.5; NULL when the curve never gets there.';
COMMENT ON FUNCTION crm.median_survival_interval(crm.survival_summary, double precision) IS
    'Interval of the median survival at confidence (default 0.95): low and high are where the low and high curves of crm.survival_curve first reach 0.5 (lifelines median_survival_times(confidence_interval_)); NULL where a curve never gets there.';
COMMENT ON FUNCTION crm.restricted_mean_survival(crm.survival_summary, interval) IS
    'Restricted mean survival time: the area under the Kaplan-Meier curve from 0 to horizon (lifelines restricted_mean_survival_time), the mean duration when every duration is capped at horizon; negative horizon is 22023.';
COMMENT ON FUNCTION crm.life_table(crm.survival_summary, interval, integer) IS
    'Life table: periods rows, period k covering durations [k*step, (k+1)*step): at_risk at its start, events and censored in it, hazard = events / at_risk (NULL when nobody is at risk), survival = Kaplan-Meier survival at its end (the events before (k+1)*step). step must be positive and without months, periods in 0..1000000 (22023).';
COMMENT ON FUNCTION crm.logrank_test(crm.survival_summary, crm.survival_summary) IS
    'Log-rank test of two summaries (lifelines logrank_test): do the two groups stay equally long? chi_square with one degree of freedom and its p_value; no rows when a summary holds no durations, and NULLs when no duration has both groups at risk with some, not all, of them having the event.';
COMMENT ON FUNCTION crm_internal.survival_customer_trans(crm.survival_summary, timestamptz, timestamptz, timestamptz) IS 'Support function of aggregate crm.survival_agg(timestamptz, timestamptz, timestamptz): transition.';
COMMENT ON FUNCTION crm_internal.survival_duration_trans(crm.survival_summary, interval, boolean) IS 'Support function of aggregate crm.survival_agg(interval, boolean): transition.';
COMMENT ON FUNCTION crm_internal.survival_rollup_trans(crm.survival_summary, crm.survival_summary) IS 'Support function of aggregate crm.rollup(crm.survival_summary): transition.';
COMMENT ON FUNCTION crm_internal.survival_combine(crm.survival_summary, crm.survival_summary) IS 'Support function of crm.survival_agg and crm.rollup(crm.survival_summary): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.survival_final(crm.survival_summary) IS 'Support function of crm.survival_agg and crm.rollup(crm.survival_summary): final summary.';
-- crm.params_se: standard errors recorded by the fits.
CREATE FUNCTION crm."params_se"("model" crm.bgnbd_model)
    RETURNS TABLE ("name" TEXT, "estimate" double precision, "std_error" double precision,
                   "low" double precision, "high" double precision)
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgnbd_params_se_wrapper';
CREATE FUNCTION crm."params_se"("model" crm.gamma_gamma_model)
    RETURNS TABLE ("name" TEXT, "estimate" double precision, "std_error" double precision,
                   "low" double precision, "high" double precision)
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'gamma_gamma_params_se_wrapper';
CREATE FUNCTION crm."params_se"("model" crm.sbg_model)
    RETURNS TABLE ("name" TEXT, "estimate" double precision, "std_error" double precision,
                   "low" double precision, "high" double precision)
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'sbg_params_se_wrapper';
COMMENT ON FUNCTION crm.params_se(crm.bgnbd_model) IS
    'Parameters of a BG/NBD model with standard errors and 95 % intervals: one row (name, estimate, std_error, low, high) per parameter r, alpha, a, b; std_error from the inverse of the Hessian of the log-likelihood (penalized, as fitted) at the estimate, low/high = estimate -/+ 1.96 std_error (the normal interval of lifetimes'' summary); NULL std_error, low and high for a model built from parameters or stored before standard errors were recorded, or when the Hessian is singular. Example: SELECT s.* FROM clv_models, crm.params_se(bg) s;';
COMMENT ON FUNCTION crm.params_se(crm.gamma_gamma_model) IS
    'Parameters p, q, v of a Gamma-Gamma model with standard errors and 95 % intervals (estimate -/+ 1.96 std_error), as crm.params_se(crm.bgnbd_model).';
COMMENT ON FUNCTION crm.params_se(crm.sbg_model) IS
    'Parameters alpha, beta of an sBG model with standard errors and 95 % intervals (estimate -/+ 1.96 std_error), as crm.params_se(crm.bgnbd_model).';
-- MBG/NBD (docs/clv.md): crm.mbg_nbd_fit in every form of crm.bgnbd_fit, returning a crm.bgnbd_model of
-- kind MBG/NBD (a new binary form version; BG/NBD models keep theirs), and crm.mbg_nbd_model.
CREATE FUNCTION crm."mbg_nbd_model"("r" double precision, "alpha" double precision, "a" double precision, "b" double precision)
    RETURNS crm.bgnbd_model IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'mbg_nbd_model_from_parameters_wrapper';
CREATE FUNCTION crm_internal.mbg_nbd_fit_trans(crm.fit_rows, integer, double precision, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_penalized_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_weighted_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_integer_weighted_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_weighted_penalized_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_final(crm.fit_rows)
    RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_final';
CREATE FUNCTION crm_internal.mbg_nbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_purchases_bigint_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_purchases_bigint_penalized_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_purchases_text_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_purchases_text_penalized_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_purchases_uuid_trans';
CREATE FUNCTION crm_internal.mbg_nbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_fit_purchases_uuid_penalized_trans';
CREATE FUNCTION crm_internal.mbg_nbd_purchases_combine(crm.purchase_days, crm.purchase_days)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_purchases_combine';
CREATE FUNCTION crm_internal.mbg_nbd_purchases_final(crm.purchase_days)
    RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mbg_nbd_purchases_final';
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision, weight bigint) (
    SFUNC = crm_internal.mbg_nbd_fit_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision, weight integer) (
    SFUNC = crm_internal.mbg_nbd_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_bigint_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_bigint_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_text_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_text_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_uuid_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_uuid_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
COMMENT ON TYPE crm.bgnbd_model IS
    'A BG/NBD purchase model (Fader, Hardie & Lee 2005), or an MBG/NBD one (Batislam, Denizel & Filiztekin 2007; crm.mbg_nbd_fit, crm.mbg_nbd_model): parameters r, alpha, a, b and, when fitted, the fit diagnostics; every prediction follows the kind. Text form {"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":null}, an MBG/NBD model starting with "model":"mbg_nbd".';
COMMENT ON FUNCTION crm.mbg_nbd_model(double precision, double precision, double precision, double precision) IS
    'An MBG/NBD model (a crm.bgnbd_model of that kind) from known parameters r, alpha, a, b (each positive and finite). Example: SELECT crm.probability_alive(crm.mbg_nbd_model(0.525, 6.183, 0.891, 1.614), 0, 0, 38.86);';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision) IS
    'Maximum-likelihood MBG/NBD fit (Batislam, Denizel & Filiztekin 2007; lifetimes'' ModifiedBetaGeoFitter) over customers (frequency, recency, t): BG/NBD with a dropout chance right after the first purchase too; returns a crm.bgnbd_model of kind MBG/NBD, which crm.probability_alive, crm.expected_purchases, crm.clv and the accessors take. Example: SELECT crm.mbg_nbd_fit(frequency, recency, t) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision, bigint) IS
    'Maximum-likelihood MBG/NBD fit over rows (frequency, recency, t) that each stand for weight customers.';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision, integer) IS
    'Maximum-likelihood MBG/NBD fit over rows (frequency, recency, t) that each stand for weight customers (an integer weight; a double precision fourth argument is the penalizer).';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision, double precision) IS
    'Penalized MBG/NBD fit: minimizes the mean negative log-likelihood + penalizer * (r^2 + (alpha / max t)^2 + a^2 + b^2), as lifetimes'' penalizer_coef; the penalizer is the same on every row (NULL: 0). Example: SELECT crm.mbg_nbd_fit(frequency, recency, t, 0.001) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision, bigint, double precision) IS
    'Penalized MBG/NBD fit over rows (frequency, recency, t) that each stand for weight customers; the penalizer as in crm.mbg_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text) IS
    'Maximum-likelihood MBG/NBD fit straight from purchases (one row per purchase, bigint customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.mbg_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text, double precision) IS
    'Penalized MBG/NBD fit straight from purchases (bigint customer ids); the penalizer as in crm.mbg_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(text, timestamptz, timestamptz, text) IS
    'Maximum-likelihood MBG/NBD fit straight from purchases (one row per purchase, text customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.mbg_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(text, timestamptz, timestamptz, text, double precision) IS
    'Penalized MBG/NBD fit straight from purchases (text customer ids); the penalizer as in crm.mbg_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.mbg_nbd_fit(text, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.mbg_nbd_fit(text, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text) IS
    'Maximum-likelihood MBG/NBD fit straight from purchases (one row per purchase, uuid customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.mbg_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text, double precision) IS
    'Penalized MBG/NBD fit straight from purchases (uuid customer ids); the penalizer as in crm.mbg_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_trans(crm.fit_rows, integer, double precision, double precision) IS 'Support function of aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) IS 'Support function of the weighted aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) IS 'Support function of the integer-weighted aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) IS 'Support function of the penalized aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.mbg_nbd_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.mbg_nbd_fit: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_purchases_final(crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.mbg_nbd_fit: customers from their purchase days, then the maximum-likelihood fit.';

-- BG/BB model of discrete transaction opportunities (docs/clv.md, "BG/BB"): the type
-- crm.bgbb_model with its text and binary forms and operators, the aggregate crm.bgbb_fit over
-- (frequency, recency, n_periods) rows on the shared state crm.fit_rows, the model from known
-- parameters, its accessors, crm.probability_alive and crm.expected_purchases.
CREATE TYPE crm.bgbb_model;
CREATE FUNCTION crm."bgbb_model_in"(
	"input" cstring
) RETURNS crm.bgbb_model
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_model_in_wrapper';
CREATE FUNCTION crm."bgbb_model_out"(
	"input" crm.bgbb_model
) RETURNS cstring
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_model_out_wrapper';
CREATE TYPE crm.bgbb_model (
	INTERNALLENGTH = variable,
	INPUT = crm.bgbb_model_in,
	OUTPUT = crm.bgbb_model_out,
	STORAGE = extended
);
CREATE FUNCTION crm."bgbb_model"(
	"alpha" double precision,
	"beta" double precision,
	"gamma" double precision,
	"delta" double precision
) RETURNS crm.bgbb_model
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_model_from_parameters_wrapper';
CREATE FUNCTION crm."customers"(
	"model" crm.bgbb_model
) RETURNS bigint
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_customers_wrapper';
CREATE FUNCTION crm."expected_purchases"(
	"model" crm.bgbb_model,
	"horizon" INT,
	"frequency" INT,
	"recency" INT,
	"n_periods" INT
) RETURNS double precision
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_conditional_expected_purchases_wrapper';
CREATE FUNCTION crm."expected_purchases"(
	"model" crm.bgbb_model,
	"horizon" INT
) RETURNS double precision
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_expected_purchases_wrapper';
CREATE FUNCTION crm."fit_diagnostics"(
	"model" crm.bgbb_model
) RETURNS TABLE (
	"converged" bool, 
	"iterations" INT, 
	"gradient_norm" double precision, 
	"log_likelihood" double precision, 
	"customers" bigint, 
	"penalizer" double precision 
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_fit_diagnostics_wrapper';
CREATE FUNCTION crm."log_likelihood"(
	"model" crm.bgbb_model
) RETURNS double precision
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_log_likelihood_wrapper';
CREATE FUNCTION crm."params"(
	"model" crm.bgbb_model
) RETURNS TABLE (
	"alpha" double precision, 
	"beta" double precision, 
	"gamma" double precision, 
	"delta" double precision 
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_params_wrapper';
CREATE FUNCTION crm."probability_alive"(
	"model" crm.bgbb_model,
	"frequency" INT,
	"recency" INT,
	"n_periods" INT
) RETURNS double precision
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bgbb_probability_alive_wrapper';
CREATE FUNCTION crm_internal.bgbb_fit_integer_weighted_trans(crm.fit_rows, integer, integer, integer, integer) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgbb_fit_integer_weighted_trans';
CREATE FUNCTION crm_internal.bgbb_fit_final(crm.fit_rows) RETURNS crm.bgbb_model IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgbb_fit_final';
CREATE FUNCTION crm_internal.bgbb_fit_penalized_trans(crm.fit_rows, integer, integer, integer, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgbb_fit_penalized_trans';
CREATE FUNCTION crm_internal.bgbb_fit_weighted_trans(crm.fit_rows, integer, integer, integer, bigint) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgbb_fit_weighted_trans';
CREATE FUNCTION crm_internal.bgbb_fit_weighted_penalized_trans(crm.fit_rows, integer, integer, integer, bigint, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgbb_fit_weighted_penalized_trans';
CREATE FUNCTION crm_internal.bgbb_fit_trans(crm.fit_rows, integer, integer, integer) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgbb_fit_trans';
CREATE FUNCTION crm_internal.bgbb_model_recv(internal) RETURNS crm.bgbb_model
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgbb_model_recv';
CREATE FUNCTION crm_internal.bgbb_model_send(crm.bgbb_model) RETURNS bytea
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_send';
ALTER TYPE crm.bgbb_model SET (RECEIVE = crm_internal.bgbb_model_recv, SEND = crm_internal.bgbb_model_send);
COMMENT ON FUNCTION crm_internal.bgbb_model_recv(internal) IS
    'Binary receive function of crm.bgbb_model: reads and validates the binary form';
COMMENT ON FUNCTION crm_internal.bgbb_model_send(crm.bgbb_model) IS
    'Binary send function of crm.bgbb_model: the stored binary form';
ALTER FUNCTION crm.bgbb_model_in(cstring) SET SCHEMA crm_internal;
ALTER FUNCTION crm.bgbb_model_out(crm.bgbb_model) SET SCHEMA crm_internal;
COMMENT ON FUNCTION crm_internal.bgbb_model_in(cstring) IS 'Text input of crm.bgbb_model.';
COMMENT ON FUNCTION crm_internal.bgbb_model_out(crm.bgbb_model) IS 'Text output of crm.bgbb_model.';
CREATE FUNCTION crm_internal.bgbb_model_eq(crm.bgbb_model, crm.bgbb_model) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_eq';
CREATE FUNCTION crm_internal.bgbb_model_ne(crm.bgbb_model, crm.bgbb_model) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ne';
CREATE FUNCTION crm_internal.bgbb_model_hash(crm.bgbb_model) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash';
CREATE FUNCTION crm_internal.bgbb_model_hash_extended(crm.bgbb_model, bigint) RETURNS bigint
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash_extended';
CREATE OPERATOR crm.= (
    LEFTARG = crm.bgbb_model, RIGHTARG = crm.bgbb_model, FUNCTION = crm_internal.bgbb_model_eq,
    COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR crm.<> (
    LEFTARG = crm.bgbb_model, RIGHTARG = crm.bgbb_model, FUNCTION = crm_internal.bgbb_model_ne,
    COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS crm.bgbb_model_hash_ops DEFAULT FOR TYPE crm.bgbb_model USING hash AS
    OPERATOR 1 crm.= (crm.bgbb_model, crm.bgbb_model),
    FUNCTION 1 crm_internal.bgbb_model_hash(crm.bgbb_model),
    FUNCTION 2 crm_internal.bgbb_model_hash_extended(crm.bgbb_model, bigint);
COMMENT ON FUNCTION crm_internal.bgbb_model_eq(crm.bgbb_model, crm.bgbb_model) IS
    'Whether two crm.bgbb_model values have the same binary form (operator =)';
COMMENT ON FUNCTION crm_internal.bgbb_model_ne(crm.bgbb_model, crm.bgbb_model) IS
    'Whether two crm.bgbb_model values have different binary forms (operator <>)';
COMMENT ON FUNCTION crm_internal.bgbb_model_hash(crm.bgbb_model) IS
    'Hash of the binary form of a crm.bgbb_model (hash operator class)';
COMMENT ON FUNCTION crm_internal.bgbb_model_hash_extended(crm.bgbb_model, bigint) IS
    'Seeded 64-bit hash of the binary form of a crm.bgbb_model (hash operator class)';
COMMENT ON OPERATOR crm.= (crm.bgbb_model, crm.bgbb_model) IS
    'Equal crm.bgbb_model values: the same binary form';
COMMENT ON OPERATOR crm.<> (crm.bgbb_model, crm.bgbb_model) IS
    'Different crm.bgbb_model values: different binary forms';
COMMENT ON OPERATOR CLASS crm.bgbb_model_hash_ops USING hash IS
    'Default hash operator class of crm.bgbb_model (DISTINCT, GROUP BY, UNION, IN, hash joins)';
COMMENT ON OPERATOR FAMILY crm.bgbb_model_hash_ops USING hash IS
    'Hash operator family of crm.bgbb_model';
CREATE FUNCTION crm_internal.bgbb_model_lt(crm.bgbb_model, crm.bgbb_model) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_lt';
CREATE FUNCTION crm_internal.bgbb_model_le(crm.bgbb_model, crm.bgbb_model) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_le';
CREATE FUNCTION crm_internal.bgbb_model_gt(crm.bgbb_model, crm.bgbb_model) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_gt';
CREATE FUNCTION crm_internal.bgbb_model_ge(crm.bgbb_model, crm.bgbb_model) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ge';
CREATE FUNCTION crm_internal.bgbb_model_cmp(crm.bgbb_model, crm.bgbb_model) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_cmp';
CREATE OPERATOR crm.< (
    LEFTARG = crm.bgbb_model, RIGHTARG = crm.bgbb_model, FUNCTION = crm_internal.bgbb_model_lt,
    COMMUTATOR = OPERATOR(crm.>), NEGATOR = OPERATOR(crm.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR crm.<= (
    LEFTARG = crm.bgbb_model, RIGHTARG = crm.bgbb_model, FUNCTION = crm_internal.bgbb_model_le,
    COMMUTATOR = OPERATOR(crm.>=), NEGATOR = OPERATOR(crm.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR crm.> (
    LEFTARG = crm.bgbb_model, RIGHTARG = crm.bgbb_model, FUNCTION = crm_internal.bgbb_model_gt,
    COMMUTATOR = OPERATOR(crm.<), NEGATOR = OPERATOR(crm.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR crm.>= (
    LEFTARG = crm.bgbb_model, RIGHTARG = crm.bgbb_model, FUNCTION = crm_internal.bgbb_model_ge,
    COMMUTATOR = OPERATOR(crm.<=), NEGATOR = OPERATOR(crm.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR CLASS crm.bgbb_model_btree_ops DEFAULT FOR TYPE crm.bgbb_model USING btree AS
    OPERATOR 1 crm.< (crm.bgbb_model, crm.bgbb_model),
    OPERATOR 2 crm.<= (crm.bgbb_model, crm.bgbb_model),
    OPERATOR 3 crm.= (crm.bgbb_model, crm.bgbb_model),
    OPERATOR 4 crm.>= (crm.bgbb_model, crm.bgbb_model),
    OPERATOR 5 crm.> (crm.bgbb_model, crm.bgbb_model),
    FUNCTION 1 crm_internal.bgbb_model_cmp(crm.bgbb_model, crm.bgbb_model);
COMMENT ON FUNCTION crm_internal.bgbb_model_lt(crm.bgbb_model, crm.bgbb_model) IS
    'Whether the binary form of a crm.bgbb_model sorts before another''s (operator <, btree operator class)';
COMMENT ON FUNCTION crm_internal.bgbb_model_le(crm.bgbb_model, crm.bgbb_model) IS
    'Whether the binary form of a crm.bgbb_model sorts before or equals another''s (operator <=, btree operator class)';
COMMENT ON FUNCTION crm_internal.bgbb_model_gt(crm.bgbb_model, crm.bgbb_model) IS
    'Whether the binary form of a crm.bgbb_model sorts after another''s (operator >, btree operator class)';
COMMENT ON FUNCTION crm_internal.bgbb_model_ge(crm.bgbb_model, crm.bgbb_model) IS
    'Whether the binary form of a crm.bgbb_model sorts after or equals another''s (operator >=, btree operator class)';
COMMENT ON FUNCTION crm_internal.bgbb_model_cmp(crm.bgbb_model, crm.bgbb_model) IS
    'Compares the binary forms of two crm.bgbb_model values: -1, 0 or 1 (btree operator class)';
COMMENT ON OPERATOR crm.< (crm.bgbb_model, crm.bgbb_model) IS
    'crm.bgbb_model sort order: the binary form sorts before (a total order agreeing with =, not a comparison of metrics)';
COMMENT ON OPERATOR crm.<= (crm.bgbb_model, crm.bgbb_model) IS
    'crm.bgbb_model sort order: the binary form sorts before or is equal';
COMMENT ON OPERATOR crm.> (crm.bgbb_model, crm.bgbb_model) IS
    'crm.bgbb_model sort order: the binary form sorts after';
COMMENT ON OPERATOR crm.>= (crm.bgbb_model, crm.bgbb_model) IS
    'crm.bgbb_model sort order: the binary form sorts after or is equal';
COMMENT ON OPERATOR CLASS crm.bgbb_model_btree_ops USING btree IS
    'Default btree operator class of crm.bgbb_model (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR FAMILY crm.bgbb_model_btree_ops USING btree IS
    'Btree operator family of crm.bgbb_model';

CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer) (
    SFUNC = crm_internal.bgbb_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer, weight bigint) (
    SFUNC = crm_internal.bgbb_fit_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer, weight integer) (
    SFUNC = crm_internal.bgbb_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer, penalizer double precision) (
    SFUNC = crm_internal.bgbb_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.bgbb_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.bgbb_model IS
    'A BG/BB model of discrete transaction opportunities (Fader, Hardie & Shang 2010): parameters alpha, beta (transaction probability ~ Beta(alpha, beta)), gamma, delta (dropout probability ~ Beta(gamma, delta)) and, when fitted, the fit diagnostics; text form {"alpha":1.204,"beta":0.75,"gamma":0.657,"delta":2.784,"fit":null}.';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer) IS
    'Maximum-likelihood BG/BB fit over customers (frequency, recency, n_periods): transactions in n_periods opportunities, the last at opportunity recency (0 without transactions); 0 <= frequency <= recency <= n_periods. Example: SELECT crm.bgbb_fit(donations, last_year, 6) FROM donors;';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer, bigint) IS
    'Maximum-likelihood BG/BB fit over rows (frequency, recency, n_periods) that each stand for weight customers.';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer, integer) IS
    'Maximum-likelihood BG/BB fit over rows (frequency, recency, n_periods) that each stand for weight customers (an integer weight; a double precision fourth argument is the penalizer).';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer, double precision) IS
    'Penalized BG/BB fit: minimizes the mean negative log-likelihood + penalizer * (alpha^2 + beta^2 + gamma^2 + delta^2), as lifetimes'' penalizer_coef; the penalizer is the same on every row (NULL: 0). Example: SELECT crm.bgbb_fit(frequency, recency, n_periods, 0.001) FROM donors;';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer, bigint, double precision) IS
    'Penalized BG/BB fit over rows (frequency, recency, n_periods) that each stand for weight customers; the penalizer as in crm.bgbb_fit(frequency, recency, n_periods, penalizer).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_trans(crm.fit_rows, integer, integer, integer) IS 'Support function of aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_weighted_trans(crm.fit_rows, integer, integer, integer, bigint) IS 'Support function of the weighted aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_integer_weighted_trans(crm.fit_rows, integer, integer, integer, integer) IS 'Support function of the integer-weighted aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_penalized_trans(crm.fit_rows, integer, integer, integer, double precision) IS 'Support function of the penalized aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_weighted_penalized_trans(crm.fit_rows, integer, integer, integer, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.bgbb_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm.bgbb_model(double precision, double precision, double precision, double precision) IS
    'A BG/BB model from known parameters alpha, beta, gamma, delta (each positive and finite).';
COMMENT ON FUNCTION crm.params(crm.bgbb_model) IS 'Parameters (alpha, beta, gamma, delta) of a BG/BB model.';
COMMENT ON FUNCTION crm.log_likelihood(crm.bgbb_model) IS 'Log-likelihood of a fitted BG/BB model at its estimate; NULL for a model built from parameters.';
COMMENT ON FUNCTION crm.customers(crm.bgbb_model) IS 'Customers a BG/BB model was fitted on (0 when built from parameters).';
COMMENT ON FUNCTION crm.fit_diagnostics(crm.bgbb_model) IS
    'Fit diagnostics of a BG/BB model: converged, optimizer iterations, gradient norm, log-likelihood (without the penalty), customers and the penalizer; NULLs and 0 customers for a model built from parameters.';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgbb_model, integer) IS
    'E[X(n)]: expected transactions of a new customer in the first horizon transaction opportunities (BG/BB, Fader, Hardie & Shang 2010, eq. 7).';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgbb_model, integer, integer, integer, integer) IS
    'E[X(n, n + horizon) | x, t_x, n]: expected transactions in the next horizon opportunities of a customer with that frequency, recency and n_periods (BG/BB, eq. 13; lifetimes'' conditional_expected_number_of_purchases_up_to_time).';
COMMENT ON FUNCTION crm.probability_alive(crm.bgbb_model, integer, integer, integer) IS
    'P(alive at opportunity n_periods + 1 | frequency, recency, n_periods) (BG/BB, eq. 11; lifetimes'' conditional_probability_alive with m_periods_in_future = 1).';
-- crm.params_se for BG/BB models (standard errors recorded by crm.bgbb_fit).
CREATE FUNCTION crm."params_se"("model" crm.bgbb_model)
    RETURNS TABLE ("name" TEXT, "estimate" double precision, "std_error" double precision,
                   "low" double precision, "high" double precision)
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgbb_params_se_wrapper';
COMMENT ON FUNCTION crm.params_se(crm.bgbb_model) IS
    'Parameters alpha, beta, gamma, delta of a BG/BB model with standard errors and 95 % intervals (estimate -/+ 1.96 std_error), as crm.params_se(crm.bgnbd_model).';

-- Funnels (docs/funnels.md): crm.window_funnel (ClickHouse's windowFunnel), crm.funnel_agg,
-- crm.rollup(crm.funnel_summary) and crm.funnel_steps; the new types crm.funnel_state and
-- crm.funnel_summary as a fresh CREATE EXTENSION makes them (pgrx's shell type, text input and
-- output, the base type, then the binary forms, operators and operator classes every summary has).
CREATE TYPE crm.funnel_state;
CREATE FUNCTION crm."funnel_state_in"("input" cstring) RETURNS crm.funnel_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'funnel_state_in_wrapper';
CREATE FUNCTION crm."funnel_state_out"("input" crm.funnel_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'funnel_state_out_wrapper';
CREATE TYPE crm.funnel_state (
    INTERNALLENGTH = variable,
    INPUT = crm.funnel_state_in,
    OUTPUT = crm.funnel_state_out,
    STORAGE = extended
);
CREATE TYPE crm.funnel_summary;
CREATE FUNCTION crm."funnel_summary_in"("input" cstring) RETURNS crm.funnel_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'funnel_summary_in_wrapper';
CREATE FUNCTION crm."funnel_summary_out"("input" crm.funnel_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'funnel_summary_out_wrapper';
CREATE TYPE crm.funnel_summary (
    INTERNALLENGTH = variable,
    INPUT = crm.funnel_summary_in,
    OUTPUT = crm.funnel_summary_out,
    STORAGE = extended
);
CREATE FUNCTION crm_internal.funnel_state_recv(internal) RETURNS crm.funnel_state
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_state_recv';
CREATE FUNCTION crm_internal.funnel_state_send(crm.funnel_state) RETURNS bytea
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_send';
ALTER TYPE crm.funnel_state SET (RECEIVE = crm_internal.funnel_state_recv, SEND = crm_internal.funnel_state_send);
COMMENT ON FUNCTION crm_internal.funnel_state_recv(internal) IS
    'Binary receive function of crm.funnel_state: reads and validates the binary form';
COMMENT ON FUNCTION crm_internal.funnel_state_send(crm.funnel_state) IS
    'Binary send function of crm.funnel_state: the stored binary form';
ALTER FUNCTION crm.funnel_state_in(cstring) SET SCHEMA crm_internal;
ALTER FUNCTION crm.funnel_state_out(crm.funnel_state) SET SCHEMA crm_internal;
COMMENT ON FUNCTION crm_internal.funnel_state_in(cstring) IS 'Text input of crm.funnel_state.';
COMMENT ON FUNCTION crm_internal.funnel_state_out(crm.funnel_state) IS 'Text output of crm.funnel_state.';
CREATE FUNCTION crm_internal.funnel_state_eq(crm.funnel_state, crm.funnel_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_eq';
CREATE FUNCTION crm_internal.funnel_state_ne(crm.funnel_state, crm.funnel_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ne';
CREATE FUNCTION crm_internal.funnel_state_hash(crm.funnel_state) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash';
CREATE FUNCTION crm_internal.funnel_state_hash_extended(crm.funnel_state, bigint) RETURNS bigint
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash_extended';
CREATE OPERATOR crm.= (
    LEFTARG = crm.funnel_state, RIGHTARG = crm.funnel_state, FUNCTION = crm_internal.funnel_state_eq,
    COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR crm.<> (
    LEFTARG = crm.funnel_state, RIGHTARG = crm.funnel_state, FUNCTION = crm_internal.funnel_state_ne,
    COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS crm.funnel_state_hash_ops DEFAULT FOR TYPE crm.funnel_state USING hash AS
    OPERATOR 1 crm.= (crm.funnel_state, crm.funnel_state),
    FUNCTION 1 crm_internal.funnel_state_hash(crm.funnel_state),
    FUNCTION 2 crm_internal.funnel_state_hash_extended(crm.funnel_state, bigint);
COMMENT ON FUNCTION crm_internal.funnel_state_eq(crm.funnel_state, crm.funnel_state) IS
    'Whether two crm.funnel_state values have the same binary form (operator =)';
COMMENT ON FUNCTION crm_internal.funnel_state_ne(crm.funnel_state, crm.funnel_state) IS
    'Whether two crm.funnel_state values have different binary forms (operator <>)';
COMMENT ON FUNCTION crm_internal.funnel_state_hash(crm.funnel_state) IS
    'Hash of the binary form of a crm.funnel_state (hash operator class)';
COMMENT ON FUNCTION crm_internal.funnel_state_hash_extended(crm.funnel_state, bigint) IS
    'Seeded 64-bit hash of the binary form of a crm.funnel_state (hash operator class)';
COMMENT ON OPERATOR crm.= (crm.funnel_state, crm.funnel_state) IS
    'Equal crm.funnel_state values: the same binary form';
COMMENT ON OPERATOR crm.<> (crm.funnel_state, crm.funnel_state) IS
    'Different crm.funnel_state values: different binary forms';
COMMENT ON OPERATOR CLASS crm.funnel_state_hash_ops USING hash IS
    'Default hash operator class of crm.funnel_state (DISTINCT, GROUP BY, UNION, IN, hash joins)';
COMMENT ON OPERATOR FAMILY crm.funnel_state_hash_ops USING hash IS
    'Hash operator family of crm.funnel_state';
CREATE FUNCTION crm_internal.funnel_state_lt(crm.funnel_state, crm.funnel_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_lt';
CREATE FUNCTION crm_internal.funnel_state_le(crm.funnel_state, crm.funnel_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_le';
CREATE FUNCTION crm_internal.funnel_state_gt(crm.funnel_state, crm.funnel_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_gt';
CREATE FUNCTION crm_internal.funnel_state_ge(crm.funnel_state, crm.funnel_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ge';
CREATE FUNCTION crm_internal.funnel_state_cmp(crm.funnel_state, crm.funnel_state) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_cmp';
CREATE OPERATOR crm.< (
    LEFTARG = crm.funnel_state, RIGHTARG = crm.funnel_state, FUNCTION = crm_internal.funnel_state_lt,
    COMMUTATOR = OPERATOR(crm.>), NEGATOR = OPERATOR(crm.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR crm.<= (
    LEFTARG = crm.funnel_state, RIGHTARG = crm.funnel_state, FUNCTION = crm_internal.funnel_state_le,
    COMMUTATOR = OPERATOR(crm.>=), NEGATOR = OPERATOR(crm.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR crm.> (
    LEFTARG = crm.funnel_state, RIGHTARG = crm.funnel_state, FUNCTION = crm_internal.funnel_state_gt,
    COMMUTATOR = OPERATOR(crm.<), NEGATOR = OPERATOR(crm.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR crm.>= (
    LEFTARG = crm.funnel_state, RIGHTARG = crm.funnel_state, FUNCTION = crm_internal.funnel_state_ge,
    COMMUTATOR = OPERATOR(crm.<=), NEGATOR = OPERATOR(crm.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR CLASS crm.funnel_state_btree_ops DEFAULT FOR TYPE crm.funnel_state USING btree AS
    OPERATOR 1 crm.< (crm.funnel_state, crm.funnel_state),
    OPERATOR 2 crm.<= (crm.funnel_state, crm.funnel_state),
    OPERATOR 3 crm.= (crm.funnel_state, crm.funnel_state),
    OPERATOR 4 crm.>= (crm.funnel_state, crm.funnel_state),
    OPERATOR 5 crm.> (crm.funnel_state, crm.funnel_state),
    FUNCTION 1 crm_internal.funnel_state_cmp(crm.funnel_state, crm.funnel_state);
COMMENT ON FUNCTION crm_internal.funnel_state_lt(crm.funnel_state, crm.funnel_state) IS
    'Whether the binary form of a crm.funnel_state sorts before another''s (operator <, btree operator class)';
COMMENT ON FUNCTION crm_internal.funnel_state_le(crm.funnel_state, crm.funnel_state) IS
    'Whether the binary form of a crm.funnel_state sorts before or equals another''s (operator <=, btree operator class)';
COMMENT ON FUNCTION crm_internal.funnel_state_gt(crm.funnel_state, crm.funnel_state) IS
    'Whether the binary form of a crm.funnel_state sorts after another''s (operator >, btree operator class)';
COMMENT ON FUNCTION crm_internal.funnel_state_ge(crm.funnel_state, crm.funnel_state) IS
    'Whether the binary form of a crm.funnel_state sorts after or equals another''s (operator >=, btree operator class)';
COMMENT ON FUNCTION crm_internal.funnel_state_cmp(crm.funnel_state, crm.funnel_state) IS
    'Compares the binary forms of two crm.funnel_state values: -1, 0 or 1 (btree operator class)';
COMMENT ON OPERATOR crm.< (crm.funnel_state, crm.funnel_state) IS
    'crm.funnel_state sort order: the binary form sorts before (a total order agreeing with =, not a comparison of metrics)';
COMMENT ON OPERATOR crm.<= (crm.funnel_state, crm.funnel_state) IS
    'crm.funnel_state sort order: the binary form sorts before or is equal';
COMMENT ON OPERATOR crm.> (crm.funnel_state, crm.funnel_state) IS
    'crm.funnel_state sort order: the binary form sorts after';
COMMENT ON OPERATOR crm.>= (crm.funnel_state, crm.funnel_state) IS
    'crm.funnel_state sort order: the binary form sorts after or is equal';
COMMENT ON OPERATOR CLASS crm.funnel_state_btree_ops USING btree IS
    'Default btree operator class of crm.funnel_state (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR FAMILY crm.funnel_state_btree_ops USING btree IS
    'Btree operator family of crm.funnel_state';
CREATE FUNCTION crm_internal.funnel_summary_recv(internal) RETURNS crm.funnel_summary
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_summary_recv';
CREATE FUNCTION crm_internal.funnel_summary_send(crm.funnel_summary) RETURNS bytea
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_send';
ALTER TYPE crm.funnel_summary SET (RECEIVE = crm_internal.funnel_summary_recv, SEND = crm_internal.funnel_summary_send);
COMMENT ON FUNCTION crm_internal.funnel_summary_recv(internal) IS
    'Binary receive function of crm.funnel_summary: reads and validates the binary form';
COMMENT ON FUNCTION crm_internal.funnel_summary_send(crm.funnel_summary) IS
    'Binary send function of crm.funnel_summary: the stored binary form';
ALTER FUNCTION crm.funnel_summary_in(cstring) SET SCHEMA crm_internal;
ALTER FUNCTION crm.funnel_summary_out(crm.funnel_summary) SET SCHEMA crm_internal;
COMMENT ON FUNCTION crm_internal.funnel_summary_in(cstring) IS 'Text input of crm.funnel_summary.';
COMMENT ON FUNCTION crm_internal.funnel_summary_out(crm.funnel_summary) IS 'Text output of crm.funnel_summary.';
CREATE FUNCTION crm_internal.funnel_summary_eq(crm.funnel_summary, crm.funnel_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_eq';
CREATE FUNCTION crm_internal.funnel_summary_ne(crm.funnel_summary, crm.funnel_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ne';
CREATE FUNCTION crm_internal.funnel_summary_hash(crm.funnel_summary) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash';
CREATE FUNCTION crm_internal.funnel_summary_hash_extended(crm.funnel_summary, bigint) RETURNS bigint
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash_extended';
CREATE OPERATOR crm.= (
    LEFTARG = crm.funnel_summary, RIGHTARG = crm.funnel_summary, FUNCTION = crm_internal.funnel_summary_eq,
    COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR crm.<> (
    LEFTARG = crm.funnel_summary, RIGHTARG = crm.funnel_summary, FUNCTION = crm_internal.funnel_summary_ne,
    COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS crm.funnel_summary_hash_ops DEFAULT FOR TYPE crm.funnel_summary USING hash AS
    OPERATOR 1 crm.= (crm.funnel_summary, crm.funnel_summary),
    FUNCTION 1 crm_internal.funnel_summary_hash(crm.funnel_summary),
    FUNCTION 2 crm_internal.funnel_summary_hash_extended(crm.funnel_summary, bigint);
COMMENT ON FUNCTION crm_internal.funnel_summary_eq(crm.funnel_summary, crm.funnel_summary) IS
    'Whether two crm.funnel_summary values have the same binary form (operator =)';
COMMENT ON FUNCTION crm_internal.funnel_summary_ne(crm.funnel_summary, crm.funnel_summary) IS
    'Whether two crm.funnel_summary values have different binary forms (operator <>)';
COMMENT ON FUNCTION crm_internal.funnel_summary_hash(crm.funnel_summary) IS
    'Hash of the binary form of a crm.funnel_summary (hash operator class)';
COMMENT ON FUNCTION crm_internal.funnel_summary_hash_extended(crm.funnel_summary, bigint) IS
    'Seeded 64-bit hash of the binary form of a crm.funnel_summary (hash operator class)';
COMMENT ON OPERATOR crm.= (crm.funnel_summary, crm.funnel_summary) IS
    'Equal crm.funnel_summary values: the same binary form';
COMMENT ON OPERATOR crm.<> (crm.funnel_summary, crm.funnel_summary) IS
    'Different crm.funnel_summary values: different binary forms';
COMMENT ON OPERATOR CLASS crm.funnel_summary_hash_ops USING hash IS
    'Default hash operator class of crm.funnel_summary (DISTINCT, GROUP BY, UNION, IN, hash joins)';
COMMENT ON OPERATOR FAMILY crm.funnel_summary_hash_ops USING hash IS
    'Hash operator family of crm.funnel_summary';
CREATE FUNCTION crm_internal.funnel_summary_lt(crm.funnel_summary, crm.funnel_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_lt';
CREATE FUNCTION crm_internal.funnel_summary_le(crm.funnel_summary, crm.funnel_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_le';
CREATE FUNCTION crm_internal.funnel_summary_gt(crm.funnel_summary, crm.funnel_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_gt';
CREATE FUNCTION crm_internal.funnel_summary_ge(crm.funnel_summary, crm.funnel_summary) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ge';
CREATE FUNCTION crm_internal.funnel_summary_cmp(crm.funnel_summary, crm.funnel_summary) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_cmp';
CREATE OPERATOR crm.< (
    LEFTARG = crm.funnel_summary, RIGHTARG = crm.funnel_summary, FUNCTION = crm_internal.funnel_summary_lt,
    COMMUTATOR = OPERATOR(crm.>), NEGATOR = OPERATOR(crm.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR crm.<= (
    LEFTARG = crm.funnel_summary, RIGHTARG = crm.funnel_summary, FUNCTION = crm_internal.funnel_summary_le,
    COMMUTATOR = OPERATOR(crm.>=), NEGATOR = OPERATOR(crm.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR crm.> (
    LEFTARG = crm.funnel_summary, RIGHTARG = crm.funnel_summary, FUNCTION = crm_internal.funnel_summary_gt,
    COMMUTATOR = OPERATOR(crm.<), NEGATOR = OPERATOR(crm.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR crm.>= (
    LEFTARG = crm.funnel_summary, RIGHTARG = crm.funnel_summary, FUNCTION = crm_internal.funnel_summary_ge,
    COMMUTATOR = OPERATOR(crm.<=), NEGATOR = OPERATOR(crm.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR CLASS crm.funnel_summary_btree_ops DEFAULT FOR TYPE crm.funnel_summary USING btree AS
    OPERATOR 1 crm.< (crm.funnel_summary, crm.funnel_summary),
    OPERATOR 2 crm.<= (crm.funnel_summary, crm.funnel_summary),
    OPERATOR 3 crm.= (crm.funnel_summary, crm.funnel_summary),
    OPERATOR 4 crm.>= (crm.funnel_summary, crm.funnel_summary),
    OPERATOR 5 crm.> (crm.funnel_summary, crm.funnel_summary),
    FUNCTION 1 crm_internal.funnel_summary_cmp(crm.funnel_summary, crm.funnel_summary);
COMMENT ON FUNCTION crm_internal.funnel_summary_lt(crm.funnel_summary, crm.funnel_summary) IS
    'Whether the binary form of a crm.funnel_summary sorts before another''s (operator <, btree operator class)';
COMMENT ON FUNCTION crm_internal.funnel_summary_le(crm.funnel_summary, crm.funnel_summary) IS
    'Whether the binary form of a crm.funnel_summary sorts before or equals another''s (operator <=, btree operator class)';
COMMENT ON FUNCTION crm_internal.funnel_summary_gt(crm.funnel_summary, crm.funnel_summary) IS
    'Whether the binary form of a crm.funnel_summary sorts after another''s (operator >, btree operator class)';
COMMENT ON FUNCTION crm_internal.funnel_summary_ge(crm.funnel_summary, crm.funnel_summary) IS
    'Whether the binary form of a crm.funnel_summary sorts after or equals another''s (operator >=, btree operator class)';
COMMENT ON FUNCTION crm_internal.funnel_summary_cmp(crm.funnel_summary, crm.funnel_summary) IS
    'Compares the binary forms of two crm.funnel_summary values: -1, 0 or 1 (btree operator class)';
COMMENT ON OPERATOR crm.< (crm.funnel_summary, crm.funnel_summary) IS
    'crm.funnel_summary sort order: the binary form sorts before (a total order agreeing with =, not a comparison of metrics)';
COMMENT ON OPERATOR crm.<= (crm.funnel_summary, crm.funnel_summary) IS
    'crm.funnel_summary sort order: the binary form sorts before or is equal';
COMMENT ON OPERATOR crm.> (crm.funnel_summary, crm.funnel_summary) IS
    'crm.funnel_summary sort order: the binary form sorts after';
COMMENT ON OPERATOR crm.>= (crm.funnel_summary, crm.funnel_summary) IS
    'crm.funnel_summary sort order: the binary form sorts after or is equal';
COMMENT ON OPERATOR CLASS crm.funnel_summary_btree_ops USING btree IS
    'Default btree operator class of crm.funnel_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR FAMILY crm.funnel_summary_btree_ops USING btree IS
    'Btree operator family of crm.funnel_summary';
CREATE FUNCTION crm."funnel_steps"("summary" crm.funnel_summary)
    RETURNS TABLE ("step" INT, "entities" bigint, "conversion_from_previous" double precision,
                   "conversion_from_first" double precision, "median_time_from_first" interval)
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'funnel_steps_wrapper';
CREATE FUNCTION crm_internal.funnel_agg_bigint_mode_trans(crm.funnel_summary, bigint, timestamptz, integer, interval, text) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_agg_bigint_mode_trans';
CREATE FUNCTION crm_internal.funnel_agg_bigint_trans(crm.funnel_summary, bigint, timestamptz, integer, interval) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_agg_bigint_trans';
CREATE FUNCTION crm_internal.funnel_agg_text_mode_trans(crm.funnel_summary, text, timestamptz, integer, interval, text) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_agg_text_mode_trans';
CREATE FUNCTION crm_internal.funnel_agg_text_trans(crm.funnel_summary, text, timestamptz, integer, interval) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_agg_text_trans';
CREATE FUNCTION crm_internal.funnel_agg_uuid_mode_trans(crm.funnel_summary, uuid, timestamptz, integer, interval, text) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_agg_uuid_mode_trans';
CREATE FUNCTION crm_internal.funnel_agg_uuid_trans(crm.funnel_summary, uuid, timestamptz, integer, interval) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_agg_uuid_trans';
CREATE FUNCTION crm_internal.funnel_combine(crm.funnel_summary, crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_combine';
CREATE FUNCTION crm_internal.funnel_final(crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_final';
CREATE FUNCTION crm_internal.funnel_rollup_final(crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_rollup_final';
CREATE FUNCTION crm_internal.funnel_rollup_trans(crm.funnel_summary, crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_rollup_trans';
CREATE FUNCTION crm_internal.funnel_rollup_combine(crm.funnel_summary, crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_rollup_combine';
CREATE FUNCTION crm_internal.window_funnel_combine(crm.funnel_state, crm.funnel_state) RETURNS crm.funnel_state IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_window_funnel_combine';
CREATE FUNCTION crm_internal.window_funnel_final(crm.funnel_state) RETURNS integer IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_window_funnel_final';
CREATE FUNCTION crm_internal.window_funnel_mode_trans(crm.funnel_state, timestamptz, integer, interval, text) RETURNS crm.funnel_state IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_window_funnel_mode_trans';
CREATE FUNCTION crm_internal.window_funnel_trans(crm.funnel_state, timestamptz, integer, interval) RETURNS crm.funnel_state IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_window_funnel_trans';
CREATE AGGREGATE crm.window_funnel(occurred_at timestamptz, step integer, conversion_window interval) (
    SFUNC = crm_internal.window_funnel_trans,
    STYPE = crm.funnel_state,
    FINALFUNC = crm_internal.window_funnel_final,
    COMBINEFUNC = crm_internal.window_funnel_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.window_funnel(occurred_at timestamptz, step integer, conversion_window interval, mode text) (
    SFUNC = crm_internal.window_funnel_mode_trans,
    STYPE = crm.funnel_state,
    FINALFUNC = crm_internal.window_funnel_final,
    COMBINEFUNC = crm_internal.window_funnel_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.funnel_agg(entity_id bigint, occurred_at timestamptz, step integer, conversion_window interval) (
    SFUNC = crm_internal.funnel_agg_bigint_trans,
    STYPE = crm.funnel_summary,
    FINALFUNC = crm_internal.funnel_final,
    COMBINEFUNC = crm_internal.funnel_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.funnel_agg(entity_id bigint, occurred_at timestamptz, step integer, conversion_window interval, mode text) (
    SFUNC = crm_internal.funnel_agg_bigint_mode_trans,
    STYPE = crm.funnel_summary,
    FINALFUNC = crm_internal.funnel_final,
    COMBINEFUNC = crm_internal.funnel_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.funnel_agg(entity_id text, occurred_at timestamptz, step integer, conversion_window interval) (
    SFUNC = crm_internal.funnel_agg_text_trans,
    STYPE = crm.funnel_summary,
    FINALFUNC = crm_internal.funnel_final,
    COMBINEFUNC = crm_internal.funnel_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.funnel_agg(entity_id text, occurred_at timestamptz, step integer, conversion_window interval, mode text) (
    SFUNC = crm_internal.funnel_agg_text_mode_trans,
    STYPE = crm.funnel_summary,
    FINALFUNC = crm_internal.funnel_final,
    COMBINEFUNC = crm_internal.funnel_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.funnel_agg(entity_id uuid, occurred_at timestamptz, step integer, conversion_window interval) (
    SFUNC = crm_internal.funnel_agg_uuid_trans,
    STYPE = crm.funnel_summary,
    FINALFUNC = crm_internal.funnel_final,
    COMBINEFUNC = crm_internal.funnel_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.funnel_agg(entity_id uuid, occurred_at timestamptz, step integer, conversion_window interval, mode text) (
    SFUNC = crm_internal.funnel_agg_uuid_mode_trans,
    STYPE = crm.funnel_summary,
    FINALFUNC = crm_internal.funnel_final,
    COMBINEFUNC = crm_internal.funnel_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.funnel_summary) (
    SFUNC = crm_internal.funnel_rollup_trans,
    STYPE = crm.funnel_summary,
    FINALFUNC = crm_internal.funnel_rollup_final,
    COMBINEFUNC = crm_internal.funnel_rollup_combine,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.funnel_state IS
    'Transition state of crm.window_funnel: the conversion window, the mode and the group''s events (time, step); text form {"version":1,"window_us":86400000000,"mode":"ordered","events":[["2025-01-01 00:00:00+00",1]]} (Citus ships partial states in this form).';
COMMENT ON TYPE crm.funnel_summary IS
    'Per-entity funnel results from crm.funnel_agg: for each entity, the time from its chain''s step-1 event to each step it reached (a partial state also holds the events); read with crm.funnel_steps, merge summaries of disjoint entity sets with crm.rollup.';
COMMENT ON AGGREGATE crm.window_funnel(timestamptz, integer, interval) IS
    'The furthest funnel step a group''s events reach (ClickHouse''s windowFunnel, mode ''ordered''): a chain starts at a step-1 event and takes steps 2, 3, ... in (time, step) order, each at most conversion_window after the chain''s step-1 event; 0 when no chain starts, NULL without a usable row. Steps 1..32 are funnel steps, 0 another event; a step outside 0..32, a window of zero or less or with months is 22023, an infinite time 22008; rows with a NULL argument are skipped. Example: SELECT lead_id, crm.window_funnel(occurred_at, step, ''30 days'') FROM lead_events GROUP BY lead_id;';
COMMENT ON AGGREGATE crm.window_funnel(timestamptz, integer, interval, text) IS
    'crm.window_funnel with a mode: ''ordered'' (the default), ''strict_order'' (the search stops at the first event that breaks the order once a chain started: a step whose previous step is unset, or a step-0 event), ''strict_deduplication'' (it stops at a step other than 1 that is already set), ''strict_increase'' (a step counts only strictly after the previous step of its chain); a stop answers the highest step set so far, as ClickHouse does.';
COMMENT ON AGGREGATE crm.funnel_agg(bigint, timestamptz, integer, interval) IS
    'Funnel summary of per-entity events (bigint entity ids), mode ''ordered'': each entity''s level as crm.window_funnel gives it, with the times from its chain''s step-1 event to each step; read with crm.funnel_steps. Example: SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(lead_id, occurred_at, step, ''30 days'') FROM lead_events));';
COMMENT ON AGGREGATE crm.funnel_agg(bigint, timestamptz, integer, interval, text) IS
    'crm.funnel_agg (bigint entity ids) with a mode, as in crm.window_funnel.';
COMMENT ON AGGREGATE crm.funnel_agg(text, timestamptz, integer, interval) IS
    'crm.funnel_agg with text entity ids (hashed to 128 bits (XXH3)), mode ''ordered''.';
COMMENT ON AGGREGATE crm.funnel_agg(text, timestamptz, integer, interval, text) IS
    'crm.funnel_agg with text entity ids (hashed to 128 bits (XXH3)) and a mode, as in crm.window_funnel.';
COMMENT ON AGGREGATE crm.funnel_agg(uuid, timestamptz, integer, interval) IS
    'crm.funnel_agg with uuid entity ids (exact), mode ''ordered''.';
COMMENT ON AGGREGATE crm.funnel_agg(uuid, timestamptz, integer, interval, text) IS
    'crm.funnel_agg with uuid entity ids (exact) and a mode, as in crm.window_funnel.';
COMMENT ON AGGREGATE crm.rollup(crm.funnel_summary) IS
    'Merges funnel summaries of disjoint entity sets with the same id type, window and mode (per partition or shard); an entity found with the same result in several summaries counts once, with different results (its events split between summaries) it is 22023.';
COMMENT ON FUNCTION crm.funnel_steps(crm.funnel_summary) IS
    'One row per step, 1 to the highest step in the data: entities whose level is at least the step, the conversion from the previous step (step 1: itself) and from step 1 (NULL on a zero denominator), and the median time from the chain''s step-1 event to its step-k event (percentile_disc(0.5); the chain that first reached the entity''s level, each step at its earliest event after the previous step). Example: SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(lead_id, occurred_at, step, ''30 days'') FROM lead_events));';
COMMENT ON FUNCTION crm_internal.window_funnel_trans(crm.funnel_state, timestamptz, integer, interval) IS 'Support function of aggregate crm.window_funnel(timestamptz, integer, interval): transition.';
COMMENT ON FUNCTION crm_internal.window_funnel_mode_trans(crm.funnel_state, timestamptz, integer, interval, text) IS 'Support function of aggregate crm.window_funnel(timestamptz, integer, interval, text): transition.';
COMMENT ON FUNCTION crm_internal.window_funnel_combine(crm.funnel_state, crm.funnel_state) IS 'Support function of crm.window_funnel: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.window_funnel_final(crm.funnel_state) IS 'Support function of crm.window_funnel: final level.';
COMMENT ON FUNCTION crm_internal.funnel_agg_bigint_trans(crm.funnel_summary, bigint, timestamptz, integer, interval) IS 'Support function of aggregate crm.funnel_agg(bigint, timestamptz, integer, interval): transition.';
COMMENT ON FUNCTION crm_internal.funnel_agg_bigint_mode_trans(crm.funnel_summary, bigint, timestamptz, integer, interval, text) IS 'Support function of aggregate crm.funnel_agg(bigint, timestamptz, integer, interval, text): transition.';
COMMENT ON FUNCTION crm_internal.funnel_agg_text_trans(crm.funnel_summary, text, timestamptz, integer, interval) IS 'Support function of aggregate crm.funnel_agg(text, timestamptz, integer, interval): transition.';
COMMENT ON FUNCTION crm_internal.funnel_agg_text_mode_trans(crm.funnel_summary, text, timestamptz, integer, interval, text) IS 'Support function of aggregate crm.funnel_agg(text, timestamptz, integer, interval, text): transition.';
COMMENT ON FUNCTION crm_internal.funnel_agg_uuid_trans(crm.funnel_summary, uuid, timestamptz, integer, interval) IS 'Support function of aggregate crm.funnel_agg(uuid, timestamptz, integer, interval): transition.';
COMMENT ON FUNCTION crm_internal.funnel_agg_uuid_mode_trans(crm.funnel_summary, uuid, timestamptz, integer, interval, text) IS 'Support function of aggregate crm.funnel_agg(uuid, timestamptz, integer, interval, text): transition.';
COMMENT ON FUNCTION crm_internal.funnel_rollup_trans(crm.funnel_summary, crm.funnel_summary) IS 'Support function of aggregate crm.rollup(crm.funnel_summary): transition.';
COMMENT ON FUNCTION crm_internal.funnel_rollup_combine(crm.funnel_summary, crm.funnel_summary) IS 'Support function of aggregate crm.rollup(crm.funnel_summary): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.funnel_combine(crm.funnel_summary, crm.funnel_summary) IS 'Support function of crm.funnel_agg: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.funnel_final(crm.funnel_summary) IS 'Support function of crm.funnel_agg: final summary.';
COMMENT ON FUNCTION crm_internal.funnel_rollup_final(crm.funnel_summary) IS 'Support function of crm.rollup(crm.funnel_summary): final summary.';

-- Calibration/holdout split (docs/clv.md): the aggregate crm.rfm_holdout_agg, its state type
-- crm.rfm_holdout_state and the composite crm.rfm_holdout it returns.
CREATE TYPE crm.rfm_holdout_state;
CREATE FUNCTION crm_internal.rfm_holdout_state_in("input" cstring) RETURNS crm.rfm_holdout_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rfm_holdout_state_in_wrapper';
CREATE FUNCTION crm_internal.rfm_holdout_state_out("input" crm.rfm_holdout_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'rfm_holdout_state_out_wrapper';
CREATE TYPE crm.rfm_holdout_state (
    INTERNALLENGTH = variable,
    INPUT = crm_internal.rfm_holdout_state_in,
    OUTPUT = crm_internal.rfm_holdout_state_out,
    STORAGE = extended
);
CREATE FUNCTION crm_internal.rfm_holdout_state_recv(internal) RETURNS crm.rfm_holdout_state
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_holdout_state_recv';
CREATE FUNCTION crm_internal.rfm_holdout_state_send(crm.rfm_holdout_state) RETURNS bytea
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_send';
ALTER TYPE crm.rfm_holdout_state SET (RECEIVE = crm_internal.rfm_holdout_state_recv, SEND = crm_internal.rfm_holdout_state_send);
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_recv(internal) IS
    'Binary receive function of crm.rfm_holdout_state: reads and validates the binary form';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_send(crm.rfm_holdout_state) IS
    'Binary send function of crm.rfm_holdout_state: the stored binary form';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_in(cstring) IS 'Text input of crm.rfm_holdout_state.';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_out(crm.rfm_holdout_state) IS 'Text output of crm.rfm_holdout_state.';
CREATE FUNCTION crm_internal.rfm_holdout_state_eq(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_eq';
CREATE FUNCTION crm_internal.rfm_holdout_state_ne(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ne';
CREATE FUNCTION crm_internal.rfm_holdout_state_hash(crm.rfm_holdout_state) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash';
CREATE FUNCTION crm_internal.rfm_holdout_state_hash_extended(crm.rfm_holdout_state, bigint) RETURNS bigint
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash_extended';
CREATE OPERATOR crm.= (
    LEFTARG = crm.rfm_holdout_state, RIGHTARG = crm.rfm_holdout_state, FUNCTION = crm_internal.rfm_holdout_state_eq,
    COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR crm.<> (
    LEFTARG = crm.rfm_holdout_state, RIGHTARG = crm.rfm_holdout_state, FUNCTION = crm_internal.rfm_holdout_state_ne,
    COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS crm.rfm_holdout_state_hash_ops DEFAULT FOR TYPE crm.rfm_holdout_state USING hash AS
    OPERATOR 1 crm.= (crm.rfm_holdout_state, crm.rfm_holdout_state),
    FUNCTION 1 crm_internal.rfm_holdout_state_hash(crm.rfm_holdout_state),
    FUNCTION 2 crm_internal.rfm_holdout_state_hash_extended(crm.rfm_holdout_state, bigint);
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_eq(crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Whether two crm.rfm_holdout_state values have the same binary form (operator =)';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_ne(crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Whether two crm.rfm_holdout_state values have different binary forms (operator <>)';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_hash(crm.rfm_holdout_state) IS
    'Hash of the binary form of a crm.rfm_holdout_state (hash operator class)';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_hash_extended(crm.rfm_holdout_state, bigint) IS
    'Seeded 64-bit hash of the binary form of a crm.rfm_holdout_state (hash operator class)';
COMMENT ON OPERATOR crm.= (crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Equal crm.rfm_holdout_state values: the same binary form';
COMMENT ON OPERATOR crm.<> (crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Different crm.rfm_holdout_state values: different binary forms';
COMMENT ON OPERATOR CLASS crm.rfm_holdout_state_hash_ops USING hash IS
    'Default hash operator class of crm.rfm_holdout_state (DISTINCT, GROUP BY, UNION, IN, hash joins)';
COMMENT ON OPERATOR FAMILY crm.rfm_holdout_state_hash_ops USING hash IS
    'Hash operator family of crm.rfm_holdout_state';
CREATE FUNCTION crm_internal.rfm_holdout_state_lt(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_lt';
CREATE FUNCTION crm_internal.rfm_holdout_state_le(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_le';
CREATE FUNCTION crm_internal.rfm_holdout_state_gt(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_gt';
CREATE FUNCTION crm_internal.rfm_holdout_state_ge(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS boolean
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ge';
CREATE FUNCTION crm_internal.rfm_holdout_state_cmp(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS integer
    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_cmp';
CREATE OPERATOR crm.< (
    LEFTARG = crm.rfm_holdout_state, RIGHTARG = crm.rfm_holdout_state, FUNCTION = crm_internal.rfm_holdout_state_lt,
    COMMUTATOR = OPERATOR(crm.>), NEGATOR = OPERATOR(crm.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR crm.<= (
    LEFTARG = crm.rfm_holdout_state, RIGHTARG = crm.rfm_holdout_state, FUNCTION = crm_internal.rfm_holdout_state_le,
    COMMUTATOR = OPERATOR(crm.>=), NEGATOR = OPERATOR(crm.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR crm.> (
    LEFTARG = crm.rfm_holdout_state, RIGHTARG = crm.rfm_holdout_state, FUNCTION = crm_internal.rfm_holdout_state_gt,
    COMMUTATOR = OPERATOR(crm.<), NEGATOR = OPERATOR(crm.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR crm.>= (
    LEFTARG = crm.rfm_holdout_state, RIGHTARG = crm.rfm_holdout_state, FUNCTION = crm_internal.rfm_holdout_state_ge,
    COMMUTATOR = OPERATOR(crm.<=), NEGATOR = OPERATOR(crm.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR CLASS crm.rfm_holdout_state_btree_ops DEFAULT FOR TYPE crm.rfm_holdout_state USING btree AS
    OPERATOR 1 crm.< (crm.rfm_holdout_state, crm.rfm_holdout_state),
    OPERATOR 2 crm.<= (crm.rfm_holdout_state, crm.rfm_holdout_state),
    OPERATOR 3 crm.= (crm.rfm_holdout_state, crm.rfm_holdout_state),
    OPERATOR 4 crm.>= (crm.rfm_holdout_state, crm.rfm_holdout_state),
    OPERATOR 5 crm.> (crm.rfm_holdout_state, crm.rfm_holdout_state),
    FUNCTION 1 crm_internal.rfm_holdout_state_cmp(crm.rfm_holdout_state, crm.rfm_holdout_state);
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_lt(crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Whether the binary form of a crm.rfm_holdout_state sorts before another''s (operator <, btree operator class)';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_le(crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Whether the binary form of a crm.rfm_holdout_state sorts before or equals another''s (operator <=, btree operator class)';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_gt(crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Whether the binary form of a crm.rfm_holdout_state sorts after another''s (operator >, btree operator class)';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_ge(crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Whether the binary form of a crm.rfm_holdout_state sorts after or equals another''s (operator >=, btree operator class)';
COMMENT ON FUNCTION crm_internal.rfm_holdout_state_cmp(crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'Compares the binary forms of two crm.rfm_holdout_state values: -1, 0 or 1 (btree operator class)';
COMMENT ON OPERATOR crm.< (crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'crm.rfm_holdout_state sort order: the binary form sorts before (a total order agreeing with =, not a comparison of metrics)';
COMMENT ON OPERATOR crm.<= (crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'crm.rfm_holdout_state sort order: the binary form sorts before or is equal';
COMMENT ON OPERATOR crm.> (crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'crm.rfm_holdout_state sort order: the binary form sorts after';
COMMENT ON OPERATOR crm.>= (crm.rfm_holdout_state, crm.rfm_holdout_state) IS
    'crm.rfm_holdout_state sort order: the binary form sorts after or is equal';
COMMENT ON OPERATOR CLASS crm.rfm_holdout_state_btree_ops USING btree IS
    'Default btree operator class of crm.rfm_holdout_state (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR FAMILY crm.rfm_holdout_state_btree_ops USING btree IS
    'Btree operator family of crm.rfm_holdout_state';
CREATE TYPE crm.rfm_holdout AS (
    frequency_cal integer,
    recency_cal double precision,
    t_cal double precision,
    monetary_value_cal numeric,
    frequency_holdout integer,
    monetary_value_holdout numeric,
    duration_holdout double precision
);
CREATE FUNCTION crm_internal.rfm_holdout_agg_trans(crm.rfm_holdout_state, timestamptz, numeric, timestamptz, timestamptz, text) RETURNS crm.rfm_holdout_state IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_holdout_agg_trans';
CREATE FUNCTION crm_internal.rfm_holdout_agg_combine(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS crm.rfm_holdout_state IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_holdout_agg_combine';
CREATE FUNCTION crm_internal.rfm_holdout_agg_final(crm.rfm_holdout_state) RETURNS crm.rfm_holdout IMMUTABLE PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_holdout_agg_final';
CREATE AGGREGATE crm.rfm_holdout_agg(occurred_at timestamptz, amount numeric, calibration_end timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.rfm_holdout_agg_trans,
    STYPE = crm.rfm_holdout_state,
    SSPACE = 256,
    FINALFUNC = crm_internal.rfm_holdout_agg_final,
    COMBINEFUNC = crm_internal.rfm_holdout_agg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.rfm_holdout_agg(timestamptz, numeric, timestamptz, timestamptz, text) IS
    'Calibration and holdout summary (crm.rfm_holdout) of one customer''s purchases, used with GROUP BY customer, as lifetimes'' calibration_and_holdout_data: purchases on days up to calibration_end''s UTC day give the RFM columns *_cal, those on later days up to observation_end''s day the holdout columns; NULL for a customer whose first purchase is after calibration_end (filter with WHERE r IS NOT NULL). Example: SELECT customer_id, crm.rfm_holdout_agg(ordered_at, amount, ''2025-06-30'', ''2025-12-31'', ''week'') AS r FROM orders GROUP BY customer_id;';
COMMENT ON TYPE crm.rfm_holdout IS
    'Result of crm.rfm_holdout_agg: frequency_cal, recency_cal, t_cal and monetary_value_cal as crm.rfm at the calibration end; frequency_holdout (days with purchases after the calibration end''s day, up to the observation end''s), monetary_value_holdout (mean amount of those purchases, each purchase counted once, 0 without any) and duration_holdout (the holdout period in time units).';
COMMENT ON TYPE crm.rfm_holdout_state IS
    'Transition state of crm.rfm_holdout_agg: one customer''s daily purchase totals and counts with the calibration end, observation end and time unit. Opaque text form: \x and the hex digits of the binary form (as bytea prints it), validated on input; Citus ships partial states in this form.';
COMMENT ON FUNCTION crm_internal.rfm_holdout_agg_trans(crm.rfm_holdout_state, timestamptz, numeric, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.rfm_holdout_agg: transition (state crm.rfm_holdout_state, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.rfm_holdout_agg_combine(crm.rfm_holdout_state, crm.rfm_holdout_state) IS 'Support function of aggregate crm.rfm_holdout_agg: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.rfm_holdout_agg_final(crm.rfm_holdout_state) IS 'Support function of aggregate crm.rfm_holdout_agg: final calibration and holdout values.';
-- Pareto/NBD (docs/clv.md): crm.pareto_nbd_fit in every form of crm.bgnbd_fit, returning a
-- crm.bgnbd_model of kind Pareto/NBD (kind byte 2 of the kind binary form), and crm.pareto_nbd_model.
CREATE FUNCTION crm."pareto_nbd_model"("r" double precision, "alpha" double precision, "s" double precision, "beta" double precision)
    RETURNS crm.bgnbd_model IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'pareto_nbd_model_from_parameters_wrapper';
CREATE FUNCTION crm_internal.pareto_nbd_fit_trans(crm.fit_rows, integer, double precision, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_penalized_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_weighted_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_integer_weighted_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision)
    RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_weighted_penalized_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_final(crm.fit_rows)
    RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_final';
CREATE FUNCTION crm_internal.pareto_nbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_purchases_bigint_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_purchases_bigint_penalized_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_purchases_text_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_purchases_text_penalized_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_purchases_uuid_trans';
CREATE FUNCTION crm_internal.pareto_nbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_purchases_uuid_penalized_trans';
CREATE FUNCTION crm_internal.pareto_nbd_purchases_combine(crm.purchase_days, crm.purchase_days)
    RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_purchases_combine';
CREATE FUNCTION crm_internal.pareto_nbd_purchases_final(crm.purchase_days)
    RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pareto_nbd_purchases_final';
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision, weight bigint) (
    SFUNC = crm_internal.pareto_nbd_fit_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision, weight integer) (
    SFUNC = crm_internal.pareto_nbd_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_bigint_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_bigint_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_text_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_text_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_uuid_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_uuid_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision, bigint) IS
    'Maximum-likelihood Pareto/NBD fit over rows (frequency, recency, t) that each stand for weight customers.';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision, integer) IS
    'Maximum-likelihood Pareto/NBD fit over rows (frequency, recency, t) that each stand for weight customers (an integer weight; a double precision fourth argument is the penalizer).';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision, bigint, double precision) IS
    'Penalized Pareto/NBD fit over rows (frequency, recency, t) that each stand for weight customers; the penalizer as in crm.pareto_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text) IS
    'Maximum-likelihood Pareto/NBD fit straight from purchases (one row per purchase, bigint customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.pareto_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text, double precision) IS
    'Penalized Pareto/NBD fit straight from purchases (bigint customer ids); the penalizer as in crm.pareto_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(text, timestamptz, timestamptz, text) IS
    'Maximum-likelihood Pareto/NBD fit straight from purchases (one row per purchase, text customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.pareto_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(text, timestamptz, timestamptz, text, double precision) IS
    'Penalized Pareto/NBD fit straight from purchases (text customer ids); the penalizer as in crm.pareto_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.pareto_nbd_fit(text, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.pareto_nbd_fit(text, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text) IS
    'Maximum-likelihood Pareto/NBD fit straight from purchases (one row per purchase, uuid customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.pareto_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text, double precision) IS
    'Penalized Pareto/NBD fit straight from purchases (uuid customer ids); the penalizer as in crm.pareto_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_trans(crm.fit_rows, integer, double precision, double precision) IS 'Support function of aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) IS 'Support function of the weighted aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) IS 'Support function of the integer-weighted aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) IS 'Support function of the penalized aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.pareto_nbd_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.pareto_nbd_fit: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_purchases_final(crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.pareto_nbd_fit: customers from their purchase days, then the maximum-likelihood fit.';
COMMENT ON TYPE crm.bgnbd_model IS
    'A BG/NBD purchase model (Fader, Hardie & Lee 2005), an MBG/NBD one (Batislam, Denizel & Filiztekin 2007; crm.mbg_nbd_fit, crm.mbg_nbd_model) or a Pareto/NBD one (Schmittlein, Morrison & Colombo 1987; crm.pareto_nbd_fit, crm.pareto_nbd_model): parameters r, alpha, a, b (Pareto/NBD: r, alpha, s, beta, which crm.params returns in its columns a and b) and, when fitted, the fit diagnostics; every prediction follows the kind. Text form {"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":null}, an MBG/NBD model starting with "model":"mbg_nbd", a Pareto/NBD one {"model":"pareto_nbd","r":0.553,"alpha":10.58,"s":0.606,"beta":11.67,"fit":null}.';
COMMENT ON FUNCTION crm.pareto_nbd_model(double precision, double precision, double precision, double precision) IS
    'A Pareto/NBD model (a crm.bgnbd_model of that kind) from known parameters r, alpha, s, beta (each positive and finite). Example: SELECT crm.probability_alive(crm.pareto_nbd_model(0.553, 10.58, 0.606, 11.67), 26, 30.86, 31);';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision) IS
    'Maximum-likelihood Pareto/NBD fit (Schmittlein, Morrison & Colombo 1987; likelihood as Fader, Hardie & Lee 2005, through the Gauss hypergeometric function; lifetimes'' ParetoNBDFitter) over customers (frequency, recency, t): customers buy at a Poisson rate while alive and leave at any time after an exponential lifetime; returns a crm.bgnbd_model of kind Pareto/NBD (parameters r, alpha, s, beta), which crm.probability_alive, crm.expected_purchases, crm.clv and the accessors take. Example: SELECT crm.pareto_nbd_fit(frequency, recency, t) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision, double precision) IS
    'Penalized Pareto/NBD fit: minimizes the mean negative log-likelihood + penalizer * (r^2 + (alpha / max t)^2 + s^2 + (beta / max t)^2) (lifetimes'' ParetoNBDFitter penalizes the total instead: its penalizer_coef is this penalizer times the number of rows); the penalizer is the same on every row (NULL: 0). Example: SELECT crm.pareto_nbd_fit(frequency, recency, t, 0.001) FROM customer_rfm;';
-- crm.clv for BG/BB models: discounted expected residual transactions over a horizon of
-- opportunities, times a Gamma-Gamma spend or a known value per transaction.
CREATE FUNCTION crm."clv"("bg" crm.bgbb_model, "gg" crm.gamma_gamma_model, "frequency" INT,
    "recency" INT, "n_periods" INT, "monetary_value" NUMERIC, "horizon" INT,
    "discount_rate" double precision) RETURNS double precision
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgbb_clv_wrapper';
CREATE FUNCTION crm."clv"("bg" crm.bgbb_model, "frequency" INT, "recency" INT, "n_periods" INT,
    "value_per_transaction" NUMERIC, "horizon" INT, "discount_rate" double precision)
    RETURNS double precision
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'bgbb_clv_value_wrapper';
COMMENT ON FUNCTION crm.clv(crm.bgbb_model, crm.gamma_gamma_model, integer, integer, integer, numeric, integer, double precision) IS
    'Discounted CLV of a customer over the next horizon transaction opportunities (BG/BB with Gamma-Gamma spend): E[spend | frequency, monetary_value] * sum over k = 1..horizon of P(transaction at opportunity n_periods + k | frequency, recency, n_periods) / (1 + discount_rate)^k, the discounted expected residual transactions (DERT, Fader, Hardie & Shang 2010, eq. 14, which is the limit of a long horizon); discount_rate per opportunity, greater than -1. Example: SELECT crm.clv(bg, gg, 4, 5, 6, 40.00, 10, 0.1);';
COMMENT ON FUNCTION crm.clv(crm.bgbb_model, integer, integer, integer, numeric, integer, double precision) IS
    'Discounted CLV of a customer over the next horizon transaction opportunities at a known value per transaction: value_per_transaction * DERT, as crm.clv(crm.bgbb_model, crm.gamma_gamma_model, ...); with value_per_transaction 1, the discounted expected residual transactions themselves. Example: SELECT crm.clv(bg, 4, 5, 6, 1, 10, 0.1);';

-- crm.rfm_agg keeps a customer with few purchase days in an in-place working form.
COMMENT ON FUNCTION crm_internal.rfm_agg_trans(crm.rfm_state, timestamptz, numeric, timestamptz, text) IS 'Support function of aggregate crm.rfm_agg: transition (state crm.rfm_state changed in place: a 64-byte working form for up to seven purchase days whose totals share one scale, then a 128-byte one for up to eight, an expanded object past them).';

-- Merging growing states is costed by the rows the query aggregates (planner support function).
CREATE FUNCTION crm_internal.merged_state_cost(internal) RETURNS internal IMMUTABLE STRICT PARALLEL SAFE
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_merged_state_cost';
COMMENT ON FUNCTION crm_internal.merged_state_cost(internal) IS
    'Planner support function of the combine functions of growing states (customer lifetimes, cohort customers, customer-months, ticket durations, funnel events, purchase days per customer): costs each merge by the rows the query aggregates, so that the planner does not choose a parallel plan whose merging costs what dividing the scan saves.';
ALTER FUNCTION crm_internal.customer_agg_combine(crm.customer_summary, crm.customer_summary) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.cohort_combine(crm.cohort_summary, crm.cohort_summary) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.mrr_combine(crm.mrr_summary, crm.mrr_summary) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.service_combine(crm.service_summary, crm.service_summary) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.funnel_combine(crm.funnel_summary, crm.funnel_summary) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.funnel_rollup_combine(crm.funnel_summary, crm.funnel_summary) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.bgnbd_purchases_combine(crm.purchase_days, crm.purchase_days) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.mbg_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.pareto_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) SUPPORT crm_internal.merged_state_cost;

-- Every summary type's text output function writes the decoded value's text form without copying
-- the value (crm_<type>_out), so that running out of memory is 53200, not an aborted backend.
CREATE OR REPLACE FUNCTION crm_internal.mrr_summary_out("input" crm.mrr_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_mrr_summary_out';
CREATE OR REPLACE FUNCTION crm_internal.funnel_state_out("input" crm.funnel_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_state_out';
CREATE OR REPLACE FUNCTION crm_internal.funnel_summary_out("input" crm.funnel_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_funnel_summary_out';
CREATE OR REPLACE FUNCTION crm_internal.cohort_summary_out("input" crm.cohort_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_cohort_summary_out';
CREATE OR REPLACE FUNCTION crm_internal.share_state_out("input" crm.share_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_share_state_out';
CREATE OR REPLACE FUNCTION crm_internal.survival_summary_out("input" crm.survival_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_survival_summary_out';
CREATE OR REPLACE FUNCTION crm_internal.pipeline_summary_out("input" crm.pipeline_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_summary_out';
CREATE OR REPLACE FUNCTION crm_internal.customer_summary_out("input" crm.customer_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_customer_summary_out';
CREATE OR REPLACE FUNCTION crm_internal.customer_period_state_out("input" crm.customer_period_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_customer_period_state_out';
CREATE OR REPLACE FUNCTION crm_internal.nps_summary_out("input" crm.nps_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_summary_out';
CREATE OR REPLACE FUNCTION crm_internal.csat_state_out("input" crm.csat_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_state_out';
CREATE OR REPLACE FUNCTION crm_internal.rfm_holdout_state_out("input" crm.rfm_holdout_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_holdout_state_out';
CREATE OR REPLACE FUNCTION crm_internal.bgbb_model_out("input" crm.bgbb_model) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgbb_model_out';
CREATE OR REPLACE FUNCTION crm_internal.bgnbd_model_out("input" crm.bgnbd_model) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_bgnbd_model_out';
CREATE OR REPLACE FUNCTION crm_internal.gamma_gamma_model_out("input" crm.gamma_gamma_model) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_gamma_gamma_model_out';
CREATE OR REPLACE FUNCTION crm_internal.sbg_model_out("input" crm.sbg_model) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_sbg_model_out';
CREATE OR REPLACE FUNCTION crm_internal.rfm_state_out("input" crm.rfm_state) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_rfm_state_out';
CREATE OR REPLACE FUNCTION crm_internal.fit_rows_out("input" crm.fit_rows) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_fit_rows_out';
CREATE OR REPLACE FUNCTION crm_internal.purchase_days_out("input" crm.purchase_days) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_purchase_days_out';
CREATE OR REPLACE FUNCTION crm_internal.business_calendar_out("input" crm.business_calendar) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_business_calendar_out';
CREATE OR REPLACE FUNCTION crm_internal.service_summary_out("input" crm.service_summary) RETURNS cstring
    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_service_summary_out';

-- crm.customer_period_state records the period of its rows (binary form version 2, text
-- "period"), so that crm.churn_rate and crm.retention_rate refuse rows of different periods.
COMMENT ON TYPE crm.customer_period_state IS
    'Transition state of crm.retention_rate and crm.churn_rate: the period''s counts, the rows, the denominator and the period they named; text form {"customers_at_start":3,"customers_at_end":2,"new_customers":1,"churned_customers":2,"started_in_period":1,"ended_in_period":2,"rows":4,"denominator":null,"period":["2025-01-01 00:00:00+00","2025-02-01 00:00:00+00"]} (Citus ships partial states in this form).';

-- The btree operator classes order summaries for ORDER BY, DISTINCT and sort-based GROUP BY;
-- their = operators are not MERGES, so the comments no longer promise merge joins.
COMMENT ON OPERATOR CLASS crm.business_calendar_btree_ops USING btree IS
    'Default btree operator class of crm.business_calendar (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.cohort_summary_btree_ops USING btree IS
    'Default btree operator class of crm.cohort_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.csat_state_btree_ops USING btree IS
    'Default btree operator class of crm.csat_state (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.customer_period_state_btree_ops USING btree IS
    'Default btree operator class of crm.customer_period_state (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.customer_summary_btree_ops USING btree IS
    'Default btree operator class of crm.customer_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.fit_rows_btree_ops USING btree IS
    'Default btree operator class of crm.fit_rows (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.gamma_gamma_model_btree_ops USING btree IS
    'Default btree operator class of crm.gamma_gamma_model (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.bgnbd_model_btree_ops USING btree IS
    'Default btree operator class of crm.bgnbd_model (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.mrr_summary_btree_ops USING btree IS
    'Default btree operator class of crm.mrr_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.nps_summary_btree_ops USING btree IS
    'Default btree operator class of crm.nps_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.pipeline_summary_btree_ops USING btree IS
    'Default btree operator class of crm.pipeline_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.purchase_days_btree_ops USING btree IS
    'Default btree operator class of crm.purchase_days (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.rfm_state_btree_ops USING btree IS
    'Default btree operator class of crm.rfm_state (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.sbg_model_btree_ops USING btree IS
    'Default btree operator class of crm.sbg_model (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.service_summary_btree_ops USING btree IS
    'Default btree operator class of crm.service_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';
COMMENT ON OPERATOR CLASS crm.share_state_btree_ops USING btree IS
    'Default btree operator class of crm.share_state (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';

-- crm.quota_attainment refuses a negative quota target (22003), as a negative cost.
COMMENT ON FUNCTION crm.quota_attainment(numeric, numeric) IS
    'Quota attainment: achieved / target; NULL when target is 0; a negative target is an error (22003), a negative achievement a value. Example: SELECT crm.quota_attainment(85, 80); -- 1.0625';
