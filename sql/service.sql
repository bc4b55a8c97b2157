-- Service family: business-hours functions, aggregates and comments. Support functions are
-- defined (and declared in SQL) in src/service/sql.rs; the functions that take a calendar per row
-- are raw V1 C functions (they cache prepared calendars by their bytes). This file runs last in
-- the install script, after every function it names.

-- The one-step crm.sla_attainment and crm.fcr_rate keep their state as
-- crm.share_state (a type Citus can ship), changed in place per row; the internal state above
-- serves their moving aggregates (window frames).

CREATE AGGREGATE crm.service_agg(created_at timestamptz, first_response_at timestamptz,
        resolved_at timestamptz, agent_replies integer, reopened boolean) (
    SFUNC = crm_internal.service_agg_trans,
    STYPE = crm.service_summary,
    FINALFUNC = crm_internal.service_final,
    COMBINEFUNC = crm_internal.service_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.service_agg(created_at timestamptz, first_response_at timestamptz,
        resolved_at timestamptz, agent_replies integer, reopened boolean, cal crm.business_calendar) (
    SFUNC = crm_internal.service_agg_calendar_trans,
    STYPE = crm.service_summary,
    FINALFUNC = crm_internal.service_final,
    COMBINEFUNC = crm_internal.service_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.service_agg(created_at timestamptz, first_response_at timestamptz,
        resolved_at timestamptz, agent_replies integer, reopened boolean, cal crm.business_calendar,
        as_of timestamptz) (
    SFUNC = crm_internal.service_agg_as_of_trans,
    STYPE = crm.service_summary,
    FINALFUNC = crm_internal.service_final,
    COMBINEFUNC = crm_internal.service_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.service_summary) (
    SFUNC = crm_internal.service_rollup_trans,
    STYPE = crm.service_summary,
    FINALFUNC = crm_internal.service_final,
    COMBINEFUNC = crm_internal.service_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.sla_attainment(created_at timestamptz, first_response_at timestamptz, target interval) (
    SFUNC = crm_internal.sla_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm_internal.service_share_final,
    COMBINEFUNC = crm_internal.service_share_combine,
    MSFUNC = crm_internal.sla_trans,
    MINVFUNC = crm_internal.sla_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.service_share_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.sla_attainment(created_at timestamptz, first_response_at timestamptz, target interval,
        cal crm.business_calendar) (
    SFUNC = crm_internal.sla_calendar_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm_internal.service_share_final,
    COMBINEFUNC = crm_internal.service_share_combine,
    MSFUNC = crm_internal.sla_calendar_trans,
    MINVFUNC = crm_internal.sla_calendar_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.service_share_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.sla_attainment(created_at timestamptz, first_response_at timestamptz, target interval,
        cal crm.business_calendar, as_of timestamptz) (
    SFUNC = crm_internal.sla_as_of_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm_internal.service_share_final,
    COMBINEFUNC = crm_internal.service_share_combine,
    MSFUNC = crm_internal.sla_as_of_trans,
    MINVFUNC = crm_internal.sla_as_of_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.service_share_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.fcr_rate(agent_replies integer, reopened boolean, resolved boolean) (
    SFUNC = crm_internal.fcr_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm_internal.service_share_final,
    COMBINEFUNC = crm_internal.service_share_combine,
    MSFUNC = crm_internal.fcr_trans,
    MINVFUNC = crm_internal.fcr_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.service_share_final,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.business_calendar IS
    'Business hours: weekly openings read in an IANA time zone, with holiday dates; text form {"hours":"Mon-Fri 09:00-17:00","time_zone":"UTC","holidays":[]}. Build with crm.business_calendar(hours, time_zone, holidays).';
COMMENT ON FUNCTION crm.business_calendar(text, text, date[]) IS
    'Builds a business calendar: hours as ;-separated entries <days> <HH:MM>-<HH:MM>[, ...] (days Mon, Mon-Fri, Sat,Sun; 24:00 ends a day; an end before the start is an overnight shift of the starting day), an IANA time zone, and holidays (whole local days off). Example: crm.business_calendar(''Mon-Fri 09:00-17:00'', ''Europe/London'', ''{2026-12-25}'').';
COMMENT ON FUNCTION crm.business_time(crm.business_calendar, timestamptz, timestamptz) IS
    'Business time inside [from, to) as an interval of hours (elapsed time: a DST day is 23 or 25 hours long); negative when to < from. Example: crm.business_time(crm.business_calendar(), created_at, resolved_at).';
COMMENT ON FUNCTION crm.business_add(crm.business_calendar, timestamptz, interval) IS
    'The first instant at which amount of business time has passed since from (an SLA due time); amount in hours, minutes and seconds, not negative. Example: crm.business_add(cal, created_at, ''4 hours'').';
COMMENT ON FUNCTION crm.is_business_time(crm.business_calendar, timestamptz) IS
    'Whether the instant falls in business hours (not on a holiday).';

COMMENT ON TYPE crm.service_summary IS
    'Support tickets: counts and every first-response and resolution duration (exact percentiles, any SLA target); build with crm.service_agg, merge with crm.rollup.';
COMMENT ON AGGREGATE crm.service_agg(timestamptz, timestamptz, timestamptz, integer, boolean) IS
    'Summary of support tickets (crm.service_summary) with durations in elapsed time. Example: SELECT crm.first_response_time(crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened)) FROM tickets;';
COMMENT ON AGGREGATE crm.service_agg(timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar) IS
    'Summary of support tickets (crm.service_summary) with durations in business time of each row''s calendar. Example: SELECT crm.service_agg(t.created_at, t.first_response_at, t.resolved_at, t.agent_replies, t.reopened, teams.calendar) FROM tickets t JOIN teams USING (team_id);';
COMMENT ON AGGREGATE crm.rollup(crm.service_summary) IS
    'Merges service summaries, e.g. daily summaries into months: SELECT crm.resolution_time(crm.rollup(summary), 0.9) FROM daily_service;';
COMMENT ON AGGREGATE crm.sla_attainment(timestamptz, timestamptz, interval) IS
    'Share of answered tickets whose first response (elapsed time) came within the row''s target. Example: SELECT crm.sla_attainment(created_at, first_response_at, ''4 hours'') FROM tickets;';
COMMENT ON AGGREGATE crm.sla_attainment(timestamptz, timestamptz, interval, crm.business_calendar) IS
    'Share of answered tickets whose first response came within the row''s target in business time of the row''s calendar.';
COMMENT ON AGGREGATE crm.fcr_rate(integer, boolean, boolean) IS
    'First-contact resolution rate: among resolved rows, the share not reopened with at most one agent reply. A NULL agent_replies is unknown: that row is left out (of both sides); NULL reopened reads as false. Example: SELECT crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL) FROM tickets;';
COMMENT ON AGGREGATE crm.service_agg(timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar, timestamptz) IS
    'Summary of support tickets (crm.service_summary) as they stood at as_of, durations in business time of each row''s calendar: a response or resolution after as_of has not happened yet, a ticket created after as_of is left out, and each ticket still waiting keeps the business time it had waited by as_of, so crm.sla_counts and crm.sla_attainment count it as breached once past the target. Example: SELECT crm.service_agg(t.created_at, t.first_response_at, t.resolved_at, t.agent_replies, t.reopened, teams.calendar, now()) FROM tickets t JOIN teams USING (team_id);';
COMMENT ON AGGREGATE crm.sla_attainment(timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) IS
    'SLA attainment as help desks count it at as_of: met / (met + breached), where an answered ticket is met when its first response came within the row''s target (business time of the row''s calendar), and a ticket still unanswered at as_of is breached once it has waited longer than the target (pending, and left out, while within it). Example: SELECT crm.sla_attainment(t.created_at, t.first_response_at, ''4 hours'', teams.calendar, now()) FROM tickets t JOIN teams USING (team_id);';
COMMENT ON FUNCTION crm.tickets(crm.service_summary) IS 'Number of tickets in a service summary.';
COMMENT ON FUNCTION crm.responded(crm.service_summary) IS 'Number of tickets with a first response in a service summary.';
COMMENT ON FUNCTION crm.resolved(crm.service_summary) IS 'Number of resolved tickets in a service summary.';
COMMENT ON FUNCTION crm.reopened(crm.service_summary) IS 'Number of resolved tickets that were reopened in a service summary.';
COMMENT ON FUNCTION crm.first_response_time(crm.service_summary, double precision) IS
    'First response time at a fraction (default 0.5, the median) of the answered tickets, exactly as percentile_disc(fraction) gives it.';
COMMENT ON FUNCTION crm.resolution_time(crm.service_summary, double precision) IS
    'Resolution time at a fraction (default 0.5, the median) of the resolved tickets, exactly as percentile_disc(fraction) gives it.';
COMMENT ON FUNCTION crm.mean_first_response_time(crm.service_summary) IS 'Mean first response time of the answered tickets.';
COMMENT ON FUNCTION crm.mean_resolution_time(crm.service_summary) IS 'Mean resolution time of the resolved tickets.';
COMMENT ON FUNCTION crm.sla_attainment(crm.service_summary, interval, text) IS
    'SLA attainment, met / (met + breached) as crm.sla_counts counts them: without as_of, the share of answered (metric ''first_response'', the default) or resolved (''resolution'') tickets whose duration is at most the target; for a summary built with as_of, tickets still waiting past the target at as_of count as breached. Exactly on target counts as met.';
COMMENT ON FUNCTION crm.sla_counts(crm.service_summary, interval, text) IS
    'Tickets that met the target (answered, or resolved for metric ''resolution'', within it), breached it (answered late, or for a summary built with as_of still waiting past it at as_of) and are pending (still waiting within it at as_of; without as_of, every ticket still waiting). Example: SELECT * FROM crm.sla_counts(summary, ''2 hours'');';
COMMENT ON FUNCTION crm.fcr_rate(crm.service_summary) IS
    'First-contact resolution rate: resolved tickets not reopened with at most one agent reply, over resolved tickets; resolved tickets whose agent_replies was NULL (unknown) are left out of both sides.';
COMMENT ON FUNCTION crm.reopen_rate(crm.service_summary) IS 'Reopened over resolved tickets.';

COMMENT ON FUNCTION crm_internal.service_agg_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean) IS
    'Support function of aggregate crm.service_agg: transition.';
COMMENT ON FUNCTION crm_internal.service_agg_calendar_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar) IS
    'Support function of aggregate crm.service_agg with a calendar: transition.';
COMMENT ON FUNCTION crm_internal.service_agg_as_of_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar, timestamptz) IS
    'Support function of aggregate crm.service_agg with a calendar and as_of: transition.';
COMMENT ON FUNCTION crm_internal.service_rollup_trans(crm.service_summary, crm.service_summary) IS 'Support function of aggregate crm.rollup(crm.service_summary): transition.';
COMMENT ON FUNCTION crm_internal.service_combine(crm.service_summary, crm.service_summary) IS 'Support function of the service summary aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.service_final(crm.service_summary) IS 'Support function of crm.service_agg and crm.rollup(crm.service_summary): final summary.';
COMMENT ON FUNCTION crm_internal.sla_trans(internal, timestamptz, timestamptz, interval) IS 'Support function of aggregate crm.sla_attainment: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.sla_inverse(internal, timestamptz, timestamptz, interval) IS 'Support function of aggregate crm.sla_attainment: inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.sla_calendar_trans(internal, timestamptz, timestamptz, interval, crm.business_calendar) IS 'Support function of aggregate crm.sla_attainment with a calendar: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.sla_calendar_inverse(internal, timestamptz, timestamptz, interval, crm.business_calendar) IS 'Support function of aggregate crm.sla_attainment with a calendar: inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.sla_as_of_trans(internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) IS 'Support function of aggregate crm.sla_attainment with a calendar and as_of: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.sla_as_of_inverse(internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) IS 'Support function of aggregate crm.sla_attainment with a calendar and as_of: inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.sla_as_of_trans(crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) IS 'Support function of aggregate crm.sla_attainment with a calendar and as_of: transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm_internal.fcr_trans(internal, integer, boolean, boolean) IS 'Support function of aggregate crm.fcr_rate: moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.fcr_inverse(internal, integer, boolean, boolean) IS 'Support function of aggregate crm.fcr_rate: inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.service_share_final(internal) IS 'Support function of crm.sla_attainment and crm.fcr_rate: moving-aggregate final share (window frames).';
-- Comments of the shippable states' functions.
COMMENT ON FUNCTION crm_internal.sla_trans(crm.share_state, timestamptz, timestamptz, interval) IS 'Support function of aggregate crm.sla_attainment: transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm_internal.sla_calendar_trans(crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar) IS 'Support function of aggregate crm.sla_attainment with a calendar: transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm_internal.fcr_trans(crm.share_state, integer, boolean, boolean) IS 'Support function of aggregate crm.fcr_rate: transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm_internal.service_share_combine(crm.share_state, crm.share_state) IS 'Support function of crm.sla_attainment and crm.fcr_rate: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.service_share_final(crm.share_state) IS 'Support function of crm.sla_attainment and crm.fcr_rate: final share.';

-- The cost of merging its growing partial states grows with the rows the query aggregates
-- (planner support function, src/common/costs.rs): no parallel plan whose merging costs
-- what dividing the scan saves.
ALTER FUNCTION crm_internal.service_combine(crm.service_summary, crm.service_summary) SUPPORT crm_internal.merged_state_cost;
