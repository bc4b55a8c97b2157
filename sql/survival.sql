-- Survival family: aggregates and comments. The support functions of the aggregates are raw V1
-- C functions defined (and declared in SQL) in src/survival/sql/summary.rs; this file runs last
-- in the install script, after every function it names. Their state is a crm.survival_summary
-- kept as an expanded object (src/common/expanded.rs): Citus ships it as text and parallel query
-- as its binary form. The summary cannot remove a row, so the aggregates have no inverse
-- transition (docs/conventions.md, window functions).

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
