-- Funnels family: aggregates and comments. The support functions are raw V1 C functions
-- defined (and declared in SQL) in src/funnels/sql/; this file runs last in the install script,
-- after every function it names. The states crm.funnel_state and crm.funnel_summary are kept as
-- expanded objects (src/common/expanded.rs): Citus ships them as text and parallel query as
-- their binary forms. An aggregate cannot have a DEFAULT argument: the mode is a second
-- overload ('ordered' without it).

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

-- Merging partial states of funnel events costs about what scanning their rows does: the planner
-- charges it per row aggregated (crm_internal.merged_state_cost, src/common/costs.rs), so that
-- turning parallel query on does not pick a plan slower than the serial one.
ALTER FUNCTION crm_internal.funnel_combine(crm.funnel_summary, crm.funnel_summary) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.funnel_rollup_combine(crm.funnel_summary, crm.funnel_summary) SUPPORT crm_internal.merged_state_cost;
COMMENT ON FUNCTION crm_internal.funnel_final(crm.funnel_summary) IS 'Support function of crm.funnel_agg: final summary.';
COMMENT ON FUNCTION crm_internal.funnel_rollup_final(crm.funnel_summary) IS 'Support function of crm.rollup(crm.funnel_summary): final summary.';
