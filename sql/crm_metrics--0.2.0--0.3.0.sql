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
