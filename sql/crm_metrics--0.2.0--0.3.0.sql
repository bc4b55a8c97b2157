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
    'Default btree operator class of crm.survival_summary (ORDER BY, count(DISTINCT ...), sort-based GROUP BY, merge joins): the binary forms compared byte by byte';
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
AS 'MODULE_PATHNAME', 'survival_curve_wrapper';

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
AS 'MODULE_PATHNAME', 'life_table_wrapper';

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
    'Log-rank test of two summaries (lifelines logrank_test): do the two groups stay equally long? chi_square with one degree of freedom and its p_value; NULLs when a summary is empty or no duration has both groups at risk with some, not all, of them having the event.';
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
