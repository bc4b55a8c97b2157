-- Sales pipeline family: aggregates and comments. Support functions are in src/pipeline/sql.rs;
-- the per-row transition functions are raw V1 C functions, declared here.

CREATE FUNCTION crm_internal.pipeline_agg_trans(internal, numeric, timestamptz, timestamptz, boolean) RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_agg_trans';
CREATE FUNCTION crm_internal.pipeline_velocity_trans(internal, numeric, timestamptz, timestamptz, boolean) RETURNS internal
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_velocity_trans';

-- The transition state crm.pipeline_summary (a type Citus can ship),
-- changed in place per row (src/common/flat.rs); the internal state above serves the moving
-- aggregates (window frames).
CREATE FUNCTION crm_internal.pipeline_agg_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean)
    RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_agg_state_trans';
CREATE FUNCTION crm_internal.pipeline_velocity_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean)
    RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_velocity_state_trans';
CREATE FUNCTION crm_internal.pipeline_rollup_trans(crm.pipeline_summary, crm.pipeline_summary)
    RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_rollup_state_trans';
CREATE FUNCTION crm_internal.pipeline_combine(crm.pipeline_summary, crm.pipeline_summary)
    RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_state_combine';
CREATE FUNCTION crm_internal.pipeline_agg_final(crm.pipeline_summary) RETURNS crm.pipeline_summary
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_agg_state_final';
CREATE FUNCTION crm_internal.pipeline_velocity_final(crm.pipeline_summary) RETURNS numeric
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_pipeline_velocity_state_final';

CREATE AGGREGATE crm.pipeline_agg(amount numeric, created_at timestamptz, closed_at timestamptz, won boolean) (
    SFUNC = crm_internal.pipeline_agg_trans,
    STYPE = crm.pipeline_summary,
    FINALFUNC = crm_internal.pipeline_agg_final,
    COMBINEFUNC = crm_internal.pipeline_combine,
    MSFUNC = crm_internal.pipeline_agg_trans,
    MINVFUNC = crm_internal.pipeline_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.pipeline_agg_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.pipeline_velocity(amount numeric, created_at timestamptz, closed_at timestamptz, won boolean) (
    SFUNC = crm_internal.pipeline_velocity_trans,
    STYPE = crm.pipeline_summary,
    FINALFUNC = crm_internal.pipeline_velocity_final,
    COMBINEFUNC = crm_internal.pipeline_combine,
    MSFUNC = crm_internal.pipeline_velocity_trans,
    MINVFUNC = crm_internal.pipeline_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.pipeline_velocity_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.pipeline_summary) (
    SFUNC = crm_internal.pipeline_rollup_trans,
    STYPE = crm.pipeline_summary,
    FINALFUNC = crm_internal.pipeline_agg_final,
    COMBINEFUNC = crm_internal.pipeline_combine,
    MSFUNC = crm_internal.pipeline_rollup_trans,
    MINVFUNC = crm_internal.pipeline_rollup_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.pipeline_agg_final,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.pipeline_summary IS
    'Opportunities by outcome (won, lost, open) with exact won and open values and the total time won deals took to close; text form {"won":7,"lost":13,"open":0,"won_value":"70000","open_value":"0","won_cycle_microseconds":54432000000000}. Build with crm.pipeline_agg, merge with crm.rollup.';
COMMENT ON AGGREGATE crm.pipeline_agg(numeric, timestamptz, timestamptz, boolean) IS
    'Pipeline summary of opportunities (amount, created_at, closed_at NULL while open, won true/false once closed); rows with a NULL amount or created_at are skipped. Example: SELECT crm.pipeline_velocity(crm.pipeline_agg(amount, created_at, closed_at, won), ''1 month'') FROM opportunities;';
COMMENT ON AGGREGATE crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean) IS
    'Pipeline velocity per day: opportunities x win rate x average won deal size / mean sales cycle in days; NULL when nothing was won. Example: SELECT crm.pipeline_velocity(amount, created_at, closed_at, won) FROM opportunities;';
COMMENT ON AGGREGATE crm.rollup(crm.pipeline_summary) IS
    'Merges pipeline summaries exactly, e.g. monthly summaries into a year: SELECT crm.win_rate(crm.rollup(summary)) FROM monthly_pipeline;';
COMMENT ON FUNCTION crm.opportunities(crm.pipeline_summary) IS 'Number of opportunities (won, lost and open) in a pipeline summary.';
COMMENT ON FUNCTION crm.won(crm.pipeline_summary) IS 'Number of won opportunities in a pipeline summary.';
COMMENT ON FUNCTION crm.lost(crm.pipeline_summary) IS 'Number of lost opportunities in a pipeline summary.';
COMMENT ON FUNCTION crm.open(crm.pipeline_summary) IS 'Number of open opportunities (closed_at NULL) in a pipeline summary.';
COMMENT ON FUNCTION crm.win_rate(crm.pipeline_summary) IS 'Win rate: won / (won + lost); NULL before any deal closed.';
COMMENT ON FUNCTION crm.average_deal_size(crm.pipeline_summary) IS 'Mean amount of the won deals (numeric); NULL when nothing was won.';
COMMENT ON FUNCTION crm.sales_cycle(crm.pipeline_summary) IS 'Mean time from created_at to closed_at of the won deals (interval in days and time); NULL when nothing was won.';
COMMENT ON FUNCTION crm.won_value(crm.pipeline_summary) IS 'Sum of the amounts of the won deals (numeric).';
COMMENT ON FUNCTION crm.open_value(crm.pipeline_summary) IS 'Sum of the amounts of the open deals (numeric).';
COMMENT ON FUNCTION crm.pipeline_velocity(crm.pipeline_summary, interval) IS
    'Pipeline velocity: opportunities x win_rate x average_deal_size / (sales_cycle / per), intervals compared in seconds as extract(epoch ...) does (''1 month'' = 30 days); per defaults to ''1 day''; NULL when nothing was won. Example: 20 opportunities, 35 % won at 10000 on average, 3-month cycle: 23333.33 per month.';
COMMENT ON FUNCTION crm.open_pipeline_velocity(crm.pipeline_summary, interval) IS
    'Open pipeline velocity, as CRMs show it: open deals x win_rate x average_deal_size / (sales_cycle / per), the value the deals still open are expected to bring per per (default ''1 day''); NULL when nothing was won. crm.pipeline_velocity counts every opportunity instead.';
COMMENT ON FUNCTION crm.closed_value_velocity(crm.pipeline_summary, interval) IS
    'Closed value velocity: won_value / (sales_cycle / per), per defaulting to ''1 day''; NULL when nothing was won.';
COMMENT ON FUNCTION crm_internal.pipeline_agg_trans(internal, numeric, timestamptz, timestamptz, boolean) IS 'Support function of aggregate crm.pipeline_agg: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.pipeline_velocity_trans(internal, numeric, timestamptz, timestamptz, boolean) IS 'Support function of aggregate crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.pipeline_inverse(internal, numeric, timestamptz, timestamptz, boolean) IS 'Support function of crm.pipeline_agg and crm.pipeline_velocity: inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.pipeline_rollup_trans(internal, crm.pipeline_summary) IS 'Support function of aggregate crm.rollup(crm.pipeline_summary): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.pipeline_rollup_inverse(internal, crm.pipeline_summary) IS 'Support function of aggregate crm.rollup(crm.pipeline_summary): inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.pipeline_agg_final(internal) IS 'Support function of crm.pipeline_agg and crm.rollup(crm.pipeline_summary): moving-aggregate final summary (window frames).';
COMMENT ON FUNCTION crm_internal.pipeline_velocity_final(internal) IS 'Support function of aggregate crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean): moving-aggregate final velocity per day (window frames).';
-- Comments of the shippable state's functions.
COMMENT ON FUNCTION crm_internal.pipeline_agg_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean) IS 'Support function of aggregate crm.pipeline_agg: transition (state crm.pipeline_summary, changed in place).';
COMMENT ON FUNCTION crm_internal.pipeline_velocity_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean) IS 'Support function of aggregate crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean): transition (state crm.pipeline_summary, changed in place).';
COMMENT ON FUNCTION crm_internal.pipeline_rollup_trans(crm.pipeline_summary, crm.pipeline_summary) IS 'Support function of aggregate crm.rollup(crm.pipeline_summary): transition (merges one summary into the state).';
COMMENT ON FUNCTION crm_internal.pipeline_combine(crm.pipeline_summary, crm.pipeline_summary) IS 'Support function of the pipeline aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.pipeline_agg_final(crm.pipeline_summary) IS 'Support function of crm.pipeline_agg and crm.rollup(crm.pipeline_summary): final summary (canonical stored form).';
COMMENT ON FUNCTION crm_internal.pipeline_velocity_final(crm.pipeline_summary) IS 'Support function of aggregate crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean): velocity per day.';
