-- Survey family: aggregates and comments. Support functions are defined in src/survey/sql.rs;
-- the per-row transition functions are raw V1 C functions (see raw_transition! in
-- src/common/pg.rs), so they are declared here.
--
-- Transition states: crm.nps_summary for the NPS aggregates and crm.csat_state for
-- CSAT, changed in place per row (src/common/flat.rs), so Citus can ship partial states as
-- text and parallel query needs no serialize functions. The moving aggregates of window
-- frames keep an internal state (MSTYPE) with their inverse transitions.

-- Moving-aggregate (window frame) transitions, state internal.
CREATE FUNCTION crm_internal.nps_trans(internal, integer) RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_trans';
CREATE FUNCTION crm_internal.nps_agg_trans(internal, integer) RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_agg_trans';
CREATE FUNCTION crm_internal.csat_trans(internal, integer) RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_trans';
CREATE FUNCTION crm_internal.csat_threshold_trans(internal, integer, integer) RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_threshold_trans';

-- Support functions of the shippable states.
CREATE FUNCTION crm_internal.nps_trans(crm.nps_summary, integer) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_state_trans';
CREATE FUNCTION crm_internal.nps_agg_trans(crm.nps_summary, integer) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_agg_state_trans';
CREATE FUNCTION crm_internal.nps_rollup_trans(crm.nps_summary, crm.nps_summary) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_rollup_state_trans';
CREATE FUNCTION crm_internal.nps_combine(crm.nps_summary, crm.nps_summary) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_state_combine';
CREATE FUNCTION crm_internal.nps_final(crm.nps_summary) RETURNS double precision
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_state_final';
CREATE FUNCTION crm_internal.nps_agg_final(crm.nps_summary) RETURNS crm.nps_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_nps_agg_state_final';
CREATE FUNCTION crm_internal.csat_trans(crm.csat_state, integer) RETURNS crm.csat_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_state_trans';
CREATE FUNCTION crm_internal.csat_threshold_trans(crm.csat_state, integer, integer) RETURNS crm.csat_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_threshold_state_trans';
CREATE FUNCTION crm_internal.csat_combine(crm.csat_state, crm.csat_state) RETURNS crm.csat_state
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_state_combine';
CREATE FUNCTION crm_internal.csat_final(crm.csat_state) RETURNS double precision
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_csat_state_final';

CREATE AGGREGATE crm.nps(score integer) (
    SFUNC = crm_internal.nps_trans,
    STYPE = crm.nps_summary,
    FINALFUNC = crm_internal.nps_final,
    COMBINEFUNC = crm_internal.nps_combine,
    MSFUNC = crm_internal.nps_trans,
    MINVFUNC = crm_internal.nps_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.nps_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.nps_agg(score integer) (
    SFUNC = crm_internal.nps_agg_trans,
    STYPE = crm.nps_summary,
    FINALFUNC = crm_internal.nps_agg_final,
    COMBINEFUNC = crm_internal.nps_combine,
    MSFUNC = crm_internal.nps_agg_trans,
    MINVFUNC = crm_internal.nps_agg_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.nps_agg_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.nps_summary) (
    SFUNC = crm_internal.nps_rollup_trans,
    STYPE = crm.nps_summary,
    FINALFUNC = crm_internal.nps_agg_final,
    COMBINEFUNC = crm_internal.nps_combine,
    MSFUNC = crm_internal.nps_rollup_trans,
    MINVFUNC = crm_internal.nps_rollup_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.nps_agg_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.csat(score integer) (
    SFUNC = crm_internal.csat_trans,
    STYPE = crm.csat_state,
    FINALFUNC = crm_internal.csat_final,
    COMBINEFUNC = crm_internal.csat_combine,
    MSFUNC = crm_internal.csat_trans,
    MINVFUNC = crm_internal.csat_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.csat_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.csat(score integer, satisfied_from integer) (
    SFUNC = crm_internal.csat_threshold_trans,
    STYPE = crm.csat_state,
    FINALFUNC = crm_internal.csat_final,
    COMBINEFUNC = crm_internal.csat_combine,
    MSFUNC = crm_internal.csat_threshold_trans,
    MINVFUNC = crm_internal.csat_threshold_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.csat_final,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.nps_summary IS
    'Counts of NPS promoters, passives and detractors; text form {"promoters":250,"passives":675,"detractors":75}. Build with crm.nps_agg, merge with crm.rollup.';
COMMENT ON AGGREGATE crm.nps(integer) IS
    'Net Promoter Score in points (-100..100): 100*(promoters - detractors)/answers; promoters score 9-10, detractors 0-6. Example: SELECT crm.nps(nps_score) FROM survey_responses;';
COMMENT ON AGGREGATE crm.nps_agg(integer) IS
    'Summary of NPS answers (crm.nps_summary) for accessors and crm.rollup. Example: SELECT crm.nps_margin_of_error(crm.nps_agg(nps_score)) FROM survey_responses;';
COMMENT ON AGGREGATE crm.rollup(crm.nps_summary) IS
    'Merges NPS summaries, e.g. daily summaries into months: SELECT crm.nps(crm.rollup(summary)) FROM daily_nps;';
COMMENT ON AGGREGATE crm.csat(integer) IS
    'CSAT: share of answers scoring 4 or 5 on a 1-5 scale. Example: SELECT crm.csat(csat_score) FROM survey_responses;';
COMMENT ON AGGREGATE crm.csat(integer, integer) IS
    'CSAT on any non-negative scale: share of answers with score >= satisfied_from. Example: SELECT crm.csat(nps_score, 9) FROM survey_responses;';
COMMENT ON FUNCTION crm.nps(crm.nps_summary) IS
    'NPS in points of a summary; NULL when it holds no answers.';
COMMENT ON FUNCTION crm.responses(crm.nps_summary) IS 'Number of answers in an NPS summary (passives included).';
COMMENT ON FUNCTION crm.promoters(crm.nps_summary) IS 'Number of promoters (scores 9-10) in an NPS summary.';
COMMENT ON FUNCTION crm.passives(crm.nps_summary) IS 'Number of passives (scores 7-8) in an NPS summary.';
COMMENT ON FUNCTION crm.detractors(crm.nps_summary) IS 'Number of detractors (scores 0-6) in an NPS summary.';
COMMENT ON FUNCTION crm.nps_margin_of_error(crm.nps_summary, double precision) IS
    'Wald margin of error of the NPS in points: z*100*sqrt((p + d - (p - d)^2)/n), p and d the promoter and detractor shares; confidence defaults to 0.95.';
COMMENT ON FUNCTION crm.nps_interval(crm.nps_summary, double precision) IS
    'Adjusted Wald confidence interval of the NPS in points (n+3 answers, P+3/4, D+3/4), clamped to [-100, 100]; one row (low, high), NULLs without answers.';
COMMENT ON FUNCTION crm.nps_low(crm.nps_summary, double precision) IS
    'Lower bound of the adjusted Wald interval of the NPS in points (the low of crm.nps_interval, as a scalar for dashboards); NULL without answers; confidence defaults to 0.95. Example: SELECT crm.nps_low(crm.nps_agg(nps_score)) FROM survey_responses;';
COMMENT ON FUNCTION crm.nps_high(crm.nps_summary, double precision) IS
    'Upper bound of the adjusted Wald interval of the NPS in points (the high of crm.nps_interval, as a scalar for dashboards); NULL without answers; confidence defaults to 0.95. Example: SELECT crm.nps_high(crm.nps_agg(nps_score)) FROM survey_responses;';
COMMENT ON FUNCTION crm.nps_difference(crm.nps_summary, crm.nps_summary, double precision) IS
    'Is the change of NPS from a (before) to b (after) significant? One row: difference = nps(b) - nps(a) in points, margin = z_confidence * sqrt(se_a^2 + se_b^2) (Wald, independent samples), z = difference / se, two-sided p_value, significant = |difference| > margin (p_value < 1 - confidence); all NULL when either side has no answers, z, p_value and significant NULL when se is 0 (every answer in one category). Arguments are (previous, current), unlike crm.growth_rate(current, previous). Example: SELECT * FROM crm.nps_difference(q3, q4);';
COMMENT ON FUNCTION crm_internal.nps_trans(internal, integer) IS 'Support function of aggregate crm.nps(integer): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.nps_agg_trans(internal, integer) IS 'Support function of aggregate crm.nps_agg(integer): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.nps_inverse(internal, integer) IS 'Support function of aggregate crm.nps(integer): inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.nps_agg_inverse(internal, integer) IS 'Support function of aggregate crm.nps_agg(integer): inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.nps_rollup_trans(internal, crm.nps_summary) IS 'Support function of aggregate crm.rollup(crm.nps_summary): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.nps_rollup_inverse(internal, crm.nps_summary) IS 'Support function of aggregate crm.rollup(crm.nps_summary): inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.nps_final(internal) IS 'Support function of aggregate crm.nps(integer): moving-aggregate final NPS (window frames).';
COMMENT ON FUNCTION crm_internal.nps_agg_final(internal) IS 'Support function of crm.nps_agg and crm.rollup(crm.nps_summary): moving-aggregate final summary (window frames).';
COMMENT ON FUNCTION crm_internal.csat_trans(internal, integer) IS 'Support function of aggregate crm.csat(integer): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.csat_threshold_trans(internal, integer, integer) IS 'Support function of aggregate crm.csat(integer, integer): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.csat_inverse(internal, integer) IS 'Support function of aggregate crm.csat(integer): inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.csat_threshold_inverse(internal, integer, integer) IS 'Support function of aggregate crm.csat(integer, integer): inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.csat_final(internal) IS 'Support function of the CSAT aggregates: moving-aggregate final satisfied share (window frames).';
-- Comments of the shippable states.
COMMENT ON TYPE crm.csat_state IS
    'Transition state of crm.csat: counts of answers and of satisfied answers; text form {"satisfied":3,"responses":4} (Citus ships partial states in this form).';
COMMENT ON FUNCTION crm_internal.nps_trans(crm.nps_summary, integer) IS 'Support function of aggregate crm.nps(integer): transition (state crm.nps_summary, changed in place).';
COMMENT ON FUNCTION crm_internal.nps_agg_trans(crm.nps_summary, integer) IS 'Support function of aggregate crm.nps_agg(integer): transition (state crm.nps_summary, changed in place).';
COMMENT ON FUNCTION crm_internal.nps_rollup_trans(crm.nps_summary, crm.nps_summary) IS 'Support function of aggregate crm.rollup(crm.nps_summary): transition (merges one summary into the state).';
COMMENT ON FUNCTION crm_internal.nps_combine(crm.nps_summary, crm.nps_summary) IS 'Support function of the NPS aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.nps_final(crm.nps_summary) IS 'Support function of aggregate crm.nps(integer): final NPS.';
COMMENT ON FUNCTION crm_internal.nps_agg_final(crm.nps_summary) IS 'Support function of crm.nps_agg and crm.rollup(crm.nps_summary): final summary (canonical stored form).';
COMMENT ON FUNCTION crm_internal.csat_trans(crm.csat_state, integer) IS 'Support function of aggregate crm.csat(integer): transition (state crm.csat_state, changed in place).';
COMMENT ON FUNCTION crm_internal.csat_threshold_trans(crm.csat_state, integer, integer) IS 'Support function of aggregate crm.csat(integer, integer): transition (state crm.csat_state, changed in place).';
COMMENT ON FUNCTION crm_internal.csat_combine(crm.csat_state, crm.csat_state) IS 'Support function of the CSAT aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.csat_final(crm.csat_state) IS 'Support function of the CSAT aggregates: final satisfied share.';
